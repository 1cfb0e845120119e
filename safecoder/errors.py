"""The root of SafeCoder's user-facing errors.

An error that derives from `SafeCoderError` means "the input or the environment is
wrong, and the message says how": the command line prints its message without a
traceback and exits with status 2. Anything else is a bug and keeps its traceback.
"""


class SafeCoderError(Exception):
    """A problem the user can fix; the message names the input, the value and the fix."""
