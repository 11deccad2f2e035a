"""Course content: Markdown course folders parsed, validated and stored as rendered HTML."""
