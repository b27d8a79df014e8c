"""The ``paca`` command (private: the command line is the interface)."""
