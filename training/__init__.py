"""Training of the name encoder's LoRA adapter (shipped as ``cobra_metalign.training``)."""
