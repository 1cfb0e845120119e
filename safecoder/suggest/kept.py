"""How much of the model's own draw an alternative keeps: the gate's test that a clean
candidate still does what the draw did.

Why: measured on the shipped model over the 66 security scenarios (docs/first-model.md,
session 17), the gate's clean alternatives to a flagged draw often did not do the task: of
the 33 replaced samples with a test, 23 worked as drawn and 9 as replaced. A candidate that
is clean because it dropped the work (a shorter function, another approach, a stub) is not
a fix. A fix changes the weak line and keeps the rest.

The measure: the distinct words (identifiers, keywords, the words of strings) on the own
draw's lines that the analyzer did not flag, and the share of them the alternative also
has. The flagged lines are left out because a fix is expected to change them
(`os.system(...)` becoming `subprocess.run([...])`). 1.0: nothing of the draw was lost;
near 0: another program. Order and repetition are ignored on purpose: a fix that moves a
call or adds a check keeps its words.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def words(text: str) -> set[str]:
    return set(_WORD.findall(text))


def kept_share(own: str, alternative: str, flagged: Collection[int] = ()) -> float:
    """The share of the words on `own`'s lines outside `flagged` (0-based line indexes of
    `own`) that `alternative` also has; 1.0 where those lines hold no word."""
    lines = own.split("\n")
    expected = words("\n".join(line for i, line in enumerate(lines) if i not in flagged))
    if not expected:
        return 1.0
    return len(expected & words(alternative)) / len(expected)
