"""Media tools: rendering, audio, subtitles and verification."""
