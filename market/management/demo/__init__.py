"""The reference scenario ``manage.py demo`` replays: the session it drives (``session``) and its
steps (``scenario``). A package beside the command, not in ``commands/``, so that Django does not
take its modules for commands."""
