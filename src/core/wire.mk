# core/wire: identity, canonical JSON, envelope, cipher, codecs, time formats.
