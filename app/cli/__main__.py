"""`python -m app.cli`: the same as `mjrelay`."""

from app.cli import main

main()
