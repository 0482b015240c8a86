"""The main window and what surrounds the pages: navigation, signing in, the catalogue menu and the
watcher that brings other people's changes into open windows."""
