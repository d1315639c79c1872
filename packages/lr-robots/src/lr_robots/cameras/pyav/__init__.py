"""The ``av`` camera: USB / built-in cameras through FFmpeg's device inputs (PyAV)."""
