"""The machine-readable caucus worksheet: its layout (data), its QR code and its renderer."""
