import ast


def parse_settings(text: str):
    """Parse a Python literal (dict, list, number) sent by the user."""
    return ast.literal_eval(text)
