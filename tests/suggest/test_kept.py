"""How much of the model's own draw an alternative keeps (`safecoder.suggest.kept`)."""

import pytest

from safecoder.suggest.kept import kept_share, words

DRAW = (
    'def run(directory):\n'
    '    log = open("listing.txt", "w")\n'
    '    os.system("ls " + directory)\n'
    '    log.close()\n'
)


def test_a_fix_of_the_flagged_line_keeps_every_unflagged_word():
    fix = DRAW.replace('os.system("ls " + directory)', 'subprocess.run(["ls", directory], check=True)')
    assert kept_share(DRAW, fix, flagged={2}) == 1.0
    # Counted over every line, the words the fix had to change are lost.
    assert kept_share(DRAW, fix) < 1.0


def test_a_clean_candidate_that_dropped_the_work_keeps_little():
    stub = "def run(directory):\n    pass\n"
    share = kept_share(DRAW, stub, flagged={2})
    expected = words(DRAW.split("\n", 2)[0] + DRAW.split("\n")[1] + DRAW.split("\n")[3])
    assert share == pytest.approx(len({"def", "run", "directory"}) / len(expected))
    assert share < 0.5


def test_order_and_repetition_do_not_count_and_an_empty_draw_is_kept_whole():
    moved = "    log.close()\n" + DRAW
    assert kept_share(DRAW, moved) == 1.0
    assert kept_share("  \n", "anything") == 1.0
    assert kept_share("x = 1\n", "") == 0.0
