import ConsulCLI
import Glibc

// Writing to a pipe whose reader has gone (a watch handler that exits without reading its
// stdin, a closed connection) is an EPIPE error to handle, not a signal that kills us.
signal(SIGPIPE, SIG_IGN)
exit(CLI.main(Array(CommandLine.arguments.dropFirst())))
