# audio: decoding (libsndfile: WAV, FLAC, OGG/Vorbis, Opus, MP3), mono mix-down and resampling (soxr),
# tags (TagLib), EBU R128 loudness (libebur128) and the features a music library is described by, synthesis (FluidSynth with a General MIDI soundfont) and Ogg/Opus encoding (libsndfile for files,
# libopus + libogg for streams).
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(SOXR REQUIRED IMPORTED_TARGET soxr)
pkg_check_modules(FLUIDSYNTH REQUIRED IMPORTED_TARGET fluidsynth)
pkg_check_modules(OPUS REQUIRED IMPORTED_TARGET opus)
pkg_check_modules(OGG REQUIRED IMPORTED_TARGET ogg)
pkg_check_modules(TAGLIB REQUIRED IMPORTED_TARGET taglib)
pkg_check_modules(EBUR128 REQUIRED IMPORTED_TARGET libebur128)
cadenza_add(audio cadenza_core PkgConfig::SNDFILE PkgConfig::SOXR)
# Private: no header of ours includes them, so dependents link them but never see their include paths
# (FluidSynth's pull in glib, SDL2 and D-Bus).
if(TARGET cadenza_audio)
  target_link_libraries(cadenza_audio PRIVATE PkgConfig::FLUIDSYNTH PkgConfig::OPUS PkgConfig::OGG PkgConfig::TAGLIB
                        PkgConfig::EBUR128)
endif()
