# audio: decoding (libsndfile: WAV, FLAC, OGG/Vorbis, Opus, MP3), mono mix-down and resampling (soxr).
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(SOXR REQUIRED IMPORTED_TARGET soxr)
cadenza_add(audio cadenza_core PkgConfig::SNDFILE PkgConfig::SOXR)
