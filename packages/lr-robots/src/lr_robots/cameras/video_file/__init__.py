"""The ``video_file`` camera: a video file replayed at its own frame rate, optionally looping."""
