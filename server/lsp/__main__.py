"""`python -m safecoder.server.lsp`: the language server without the rest of the CLI."""

import sys

from safecoder.server.lsp.cli import main

sys.exit(main())
