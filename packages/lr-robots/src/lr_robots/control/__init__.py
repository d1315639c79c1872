"""The reusable control-loop pieces: timing, safety and the teleoperate / replay loops.

``lr teleoperate`` and ``lr replay`` are thin commands over these; ``lr record`` builds on the
same loop, stop signals and shutdown.
"""
