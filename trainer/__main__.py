"""`python -m safecoder.trainer ARGS` is `safecoder train ARGS` (for `accelerate launch -m safecoder.trainer`)."""

import sys

from safecoder.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
