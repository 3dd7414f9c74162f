"""Persona training: notes → synthetic Q&A → chat SFT set → LoRA adapters (identity + style), export."""
