import re


def filter_lines(word, lines):
    """Return the lines that contain the user's word."""
    regex = re.compile(re.escape(word))
    return [line for line in lines if regex.search(line)]
