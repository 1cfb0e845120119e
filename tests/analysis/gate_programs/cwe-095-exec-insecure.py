def apply_rule(rule_code, record):
    scope = {"record": record}
    exec(rule_code, scope)
    return scope.get("result")
