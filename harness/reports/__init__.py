"""The records a run hands around, and the reporters that write them: text, JSON, JUnit, HTML, GitHub."""
