"""The reader's widgets: the story list (Line API), the preview and the view tabs."""
