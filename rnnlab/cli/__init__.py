"""The command line, ``rnnlab COMMAND`` (or ``python -m rnnlab COMMAND``)."""
