"""Named configurations a client picks by name (the OpenAI ``model`` field, ``profile`` in /v1/ask).

``twin`` is the configuration the server was started with; ``[serve.profiles.NAME]`` tables add
others: nodes switched off, other adapters, another persona model or backend, a shorter answer.
Profiles that only switch nodes share one engine (the same loaded models) with ``twin``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from twin.config import Config

DEFAULT = "twin"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    off: tuple[str, ...]  # nodes switched off
    public: bool  # anonymous callers may pick it
    model: str
    backend: str
    adapters: tuple[str, ...]
    max_new_tokens: int

    @property
    def engine_key(self) -> tuple:
        """Profiles with the same key share one engine (context, models, runners)."""
        return (self.model, self.backend, self.adapters, self.max_new_tokens)


def load_profiles(config: Config) -> dict[str, Profile]:
    persona = config.persona
    base = Profile(DEFAULT, f"{config.person}'s twin, as configured", tuple(config.nodes.off()), True,
                   persona.model, persona.backend, tuple(persona.adapters), persona.max_new_tokens)
    profiles = {DEFAULT: base}
    for name, p in config.serve.profiles.items():
        profiles[name] = Profile(
            name, p.description or name, tuple(dict.fromkeys([*base.off, *p.off])), p.public,
            p.model or base.model, p.backend or base.backend,
            tuple(p.adapters) if p.adapters else base.adapters, p.max_new_tokens or base.max_new_tokens,
        )
    return profiles


def engine_config(config: Config, profile: Profile) -> Config:
    """The server's config with the profile's model settings (node switches apply per turn)."""
    derived = copy.deepcopy(config)
    derived.persona.model = profile.model
    derived.persona.backend = profile.backend
    derived.persona.adapters = list(profile.adapters)
    derived.persona.max_new_tokens = profile.max_new_tokens
    return derived
