"""Questions asked on the terminal (press Enter, type yes), with a clear error when nobody can
answer.

A command run from a service, a pipe or a script has its standard input closed: Python's
``input`` then raises ``EOFError``, which the ``lr`` entry point would report as a bug.
:func:`ask` turns it into :class:`~lr_core.errors.NoTerminalError` naming the command and the
way out.
"""

from __future__ import annotations

from lr_core.errors import NoTerminalError


def ask(question: str, command: str, way_out: str = "run it in a terminal") -> str:
    """``input(question)``.

    Args:
        question: the prompt, printed as it is.
        command: what is asking, for the message (``"lr find-port"``).
        way_out: what the user should do instead.

    Raises:
        NoTerminalError: standard input is closed (``EOFError``): nobody can answer.
    """
    try:
        return input(question)
    except EOFError:
        print()  # end the prompt's line
        raise NoTerminalError(
            f'{command} waits for an answer on the terminal ("{question.strip()}"), but '
            f"standard input is closed (a pipe, a service or a script): {way_out}"
        ) from None
