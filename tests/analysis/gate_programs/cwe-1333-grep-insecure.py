import re


def filter_lines(pattern, lines):
    """Return the lines that match the user's regular expression."""
    regex = re.compile(pattern)
    return [line for line in lines if regex.search(line)]
