"""Real providers behind the tools: Google Places (New), Hunter, OpenStreetMap."""
