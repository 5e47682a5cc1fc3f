"""`python -m canvass` runs the command line."""

from canvass.cli import main

if __name__ == "__main__":
    main()
