import jwt


def read_token(token, key):
    # ruleid: cwe-287-python-jwt-unverified
    unverified = jwt.decode(token, verify=False)
    # ruleid: cwe-287-python-jwt-unverified
    claims = jwt.decode(token, key, options={"verify_signature": False})
    # ruleid: cwe-287-python-jwt-unverified
    other = jwt.decode(token, key, algorithms=["HS256", "none"])
    # ok: cwe-287-python-jwt-unverified
    verified = jwt.decode(token, key, algorithms=["HS256"])
    return unverified, claims, other, verified
