"""Terminal renderings: text, JSON, CSV and rich tables or live views of frames. They return text
or renderables, or draw on a console the CLI hands them; the CLI decides where output goes."""
