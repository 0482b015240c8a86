"""ConsentDesk: consent register and pre-posting image checks, fully offline."""

__version__ = "0.1.0"
APP_NAME = "ConsentDesk"
