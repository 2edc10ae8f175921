#!/bin/sh
# Run a program with the clock that deploy/local/at-date.sh chose (libfaketime,
# preloaded; FAKETIME holds the offset). Without at-date.sh, the program runs as it is.
if [ -n "${MITTLER_FAKETIME_LIB:-}" ]; then
  LD_PRELOAD="$MITTLER_FAKETIME_LIB${LD_PRELOAD:+:$LD_PRELOAD}"
  export LD_PRELOAD
fi
exec "$@"
