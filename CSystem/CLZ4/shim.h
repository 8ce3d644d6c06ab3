// LZ4 frame format (snapshot files), as Swift sees it. Only LiveRuntime imports this module.
#include <lz4frame.h>
