import CLibUV
import Glibc
import Platform

/// Child processes over `uv_spawn`: each child gets its own session and process group
/// (`UV_PROCESS_DETACHED`, i.e. setsid) so a timeout can kill everything it started; stdout and
/// stderr share one pipe read on the loop; exit arrives through libuv's SIGCHLD handling.
public final class LiveProcessRunner: ProcessRunner {
    private let loop: EventLoop

    public init(loop: EventLoop) { self.loop = loop }

    public func run(_ request: ProcessRequest,
                    completion: @escaping (ProcessOutcome) -> Void) throws(ProcessError) -> RunningProcess {
        loop.assertOnLoop()
        guard let program = request.arguments.first, !program.isEmpty else {
            throw ProcessError(program: "", message: "no program given")
        }
        let child = ChildProcess(loop: loop, request: request, completion: completion)
        try child.spawn(program: program)
        return child
    }
}

/// One running child: the process handle, the read end of its output pipe, and the timeout.
/// Retained by both handles (handle->data) until their close callbacks run.
final class ChildProcess: RunningProcess {
    /// After the group is killed, wait at most this long for the pipe to report end-of-file
    /// (a process that escaped the group may still hold it open).
    static let pipeGraceNanoseconds: UInt64 = 1_000_000_000

    private let loop: EventLoop
    private let request: ProcessRequest
    private var completion: ((ProcessOutcome) -> Void)?
    private let process: UnsafeMutablePointer<uv_process_t> = .allocate(capacity: 1)
    private let pipe: UnsafeMutablePointer<uv_pipe_t> = .allocate(capacity: 1)
    private var pid: Int32 = 0
    private var output: OutputTail
    private var exit: ProcessOutcome.Termination?
    private var pipeOpen = false
    private var timedOut = false
    private var killed = false
    private var timer: TimerHandle?
    private var graceTimer: TimerHandle?

    init(loop: EventLoop, request: ProcessRequest, completion: @escaping (ProcessOutcome) -> Void) {
        self.loop = loop
        self.request = request
        self.completion = completion
        output = OutputTail(limit: request.outputLimitBytes)
    }

    func spawn(program: String) throws(ProcessError) {
        var fds: (uv_file, uv_file) = (-1, -1)
        let piped = withUnsafeMutableBytes(of: &fds) {
            uv_pipe($0.baseAddress!.assumingMemoryBound(to: uv_file.self), Int32(UV_NONBLOCK_PIPE.rawValue), 0)
        }
        guard piped == 0 else {
            process.deallocate(); pipe.deallocate()
            throw ProcessError(program: program, message: UVError(piped, "pipe").message)
        }
        let (readEnd, writeEnd) = fds
        uv_pipe_init(loop.loop, pipe, 0)
        pipe.pointee.data = Unmanaged.passRetained(self).toOpaque()
        pipeOpen = true
        let opened = uv_pipe_open(pipe, readEnd)
        if opened != 0 {
            Glibc.close(readEnd)
        }

        let argv = CStringArray(request.arguments)
        let envp = request.environment.map(CStringArray.init)
        var stdio = [uv_stdio_container_t](repeating: uv_stdio_container_t(), count: 3)
        stdio[0].flags = UV_IGNORE
        for i in 1...2 {
            stdio[i].flags = UV_INHERIT_FD
            stdio[i].data.fd = writeEnd
        }
        var options = uv_process_options_t()
        options.exit_cb = { handle, status, signal in
            Unmanaged<ChildProcess>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
                .exited(status: status, signal: signal)
        }
        options.flags = UInt32(UV_PROCESS_DETACHED.rawValue)
        process.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let status: Int32 = program.withCString { file in
            options.file = file
            options.args = argv.pointer
            options.env = envp?.pointer
            return stdio.withUnsafeMutableBufferPointer { s in
                options.stdio_count = Int32(s.count)
                options.stdio = s.baseAddress
                return opened == 0 ? uv_spawn(loop.loop, process, &options) : opened
            }
        }
        Glibc.close(writeEnd) // the child holds its copy; end-of-file arrives when every holder exits
        argv.free()
        envp?.free()
        if status != 0 {
            completion = nil
            // uv_spawn initialised the handle even when it failed, so it must be closed.
            if opened == 0 { closeProcessHandle() } else {
                Unmanaged<ChildProcess>.fromOpaque(process.pointee.data).release()
                process.deallocate()
            }
            closePipe()
            throw ProcessError(program: program, message: UVError(status, "spawn").message)
        }
        pid = process.pointee.pid
        uv_read_start(cuv_stream(pipe), { h, _, buf in
            let loop = EventLoop.owner(of: h!.pointee.loop)
            buf!.pointee = uv_buf_init(loop.readBuffer, UInt32(EventLoop.readBufferSize))
        }, { stream, nread, buf in
            let child = Unmanaged<ChildProcess>.fromOpaque(stream!.pointee.data).takeUnretainedValue()
            if nread > 0 {
                child.output.append(UnsafeRawBufferPointer(start: buf!.pointee.base, count: nread))
            } else if nread < 0 {
                child.closePipe()
                child.finishIfDone()
            }
        })
        if request.timeoutNanoseconds > 0 {
            timer = loop.schedule(after: request.timeoutNanoseconds) { [weak self] in self?.timeoutFired() }
        }
    }

    func kill() {
        guard completion != nil, !killed else { return }
        killed = true
        killGroup()
    }

    private func killGroup() {
        // Only while the child is unreaped: after that its pid (= group id) may be reused.
        guard exit == nil || pipeOpen, pid > 0 else { return }
        _ = Glibc.kill(-pid, SIGKILL)
    }

    private func timeoutFired() {
        timer = nil
        guard completion != nil else { return }
        timedOut = true
        killGroup()
        armGraceIfExited()
        finishIfDone()
    }

    private func exited(status: Int64, signal: Int32) {
        exit = signal != 0 ? .signaled(signal: signal) : .exited(code: Int32(truncatingIfNeeded: status))
        closeProcessHandle()
        if timedOut || killed { armGraceIfExited() }
        finishIfDone()
    }

    private func armGraceIfExited() {
        guard exit != nil, pipeOpen, graceTimer == nil else { return }
        graceTimer = loop.schedule(after: ChildProcess.pipeGraceNanoseconds) { [weak self] in
            guard let self else { return }
            self.graceTimer = nil
            self.closePipe()
            self.finishIfDone()
        }
    }

    private func finishIfDone() {
        guard let exit, !pipeOpen, let completion else { return }
        self.completion = nil
        timer?.cancel(); timer = nil
        graceTimer?.cancel(); graceTimer = nil
        completion(ProcessOutcome(termination: timedOut ? .timedOut : exit, output: output.bytes,
                                  totalOutputBytes: output.total))
    }

    private func closePipe() {
        guard pipeOpen else { return }
        pipeOpen = false
        uv_read_stop(cuv_stream(pipe))
        uv_close(cuv_handle(pipe)) { h in
            Unmanaged<ChildProcess>.fromOpaque(h!.pointee.data).release()
            h!.deallocate()
        }
    }

    private func closeProcessHandle() {
        uv_close(cuv_handle(process)) { h in
            Unmanaged<ChildProcess>.fromOpaque(h!.pointee.data).release()
            h!.deallocate()
        }
    }
}

/// A NULL-terminated `char*` array for execve-style calls; freed explicitly after use.
struct CStringArray {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointer = .allocate(capacity: strings.count + 1)
        for (i, s) in strings.enumerated() { pointer[i] = strdup(s) }
        pointer[strings.count] = nil
    }

    func free() {
        for i in 0..<count { Glibc.free(pointer[i]) }
        pointer.deallocate()
    }
}
