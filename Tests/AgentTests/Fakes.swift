import Agent
import ConsulAPI
import Platform

/// A clock that moves only when the test says so; timers fire in deadline order.
final class FakeClock: EventLoopClock {
    private(set) var now = Instant(nanoseconds: 1_000_000_000)
    var wallClockNanoseconds: Int64 { Int64(now.nanoseconds) }
    private var timers: [(deadline: Instant, sequence: Int, timer: FakeTimer)] = []
    private var sequence = 0

    final class FakeTimer: TimerHandle {
        var callback: (() -> Void)?
        init(_ callback: @escaping () -> Void) { self.callback = callback }
        func cancel() { callback = nil }
    }

    @discardableResult
    func schedule(after nanoseconds: UInt64, _ callback: @escaping () -> Void) -> TimerHandle {
        let timer = FakeTimer(callback)
        sequence += 1
        timers.append((now.adding(nanoseconds: nanoseconds), sequence, timer))
        return timer
    }

    /// Moves time forward, firing every timer that falls due (including ones scheduled meanwhile).
    func advance(by nanoseconds: UInt64) {
        let end = now.adding(nanoseconds: nanoseconds)
        while true {
            timers.removeAll { $0.timer.callback == nil }
            guard let next = timers.filter({ $0.deadline <= end })
                .min(by: { ($0.deadline, $0.sequence) < ($1.deadline, $1.sequence) }) else { break }
            timers.removeAll { $0.sequence == next.sequence }
            if next.deadline > now { now = next.deadline }
            let callback = next.timer.callback
            next.timer.callback = nil
            callback?()
        }
        now = end
    }

    /// Fires what is due now (zero-delay work).
    func turn() { advance(by: 0) }

    var pendingTimers: Int { timers.filter { $0.timer.callback != nil }.count }
}

final class FixedRandom: RandomSource {
    var values: [UInt64]
    init(_ values: [UInt64] = [0]) { self.values = values }
    func nextUInt64() -> UInt64 { values.count > 1 ? values.removeFirst() : values[0] }
}

/// A connection the test drives: it sees what the check wrote and answers or closes.
final class FakeConnection: StreamConnection {
    weak var delegate: StreamConnectionDelegate?
    var remoteAddress: SocketAddress?
    var pendingWriteBytes = 0
    var written: [UInt8] = []
    var closed = false

    var writtenText: String { String(decoding: written, as: UTF8.self) }
    func write(_ bytes: [UInt8]) { written += bytes }
    func pauseReading() {}
    func resumeReading() {}
    func close() {
        guard !closed else { return }
        closed = true
        delegate?.connectionDidClose(self)
    }

    func deliver(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { delegate?.connection(self, didRead: $0) }
    }

    /// The peer closes.
    func peerClose() {
        guard !closed else { return }
        closed = true
        delegate?.connectionDidClose(self)
    }
}

/// Connects instantly (on the next clock turn) with scripted outcomes; unscripted connects hang.
final class FakeNetwork: StreamNetwork {
    enum Outcome { case connect, refuse, hang, connectAfter(UInt64) }
    var outcomes: [Outcome] = []
    var defaultOutcome: Outcome = .connect
    private(set) var attempts: [SocketAddress] = []
    private(set) var connections: [FakeConnection] = []
    let clock: FakeClock

    init(clock: FakeClock) { self.clock = clock }

    func listen(on address: SocketAddress, backlog: Int, onAccept: @escaping (StreamConnection) -> Void) throws -> StreamListener {
        fatalError("not used")
    }

    func connect(to address: SocketAddress, timeoutNanoseconds: UInt64,
                 completion: @escaping (Result<StreamConnection, NetworkError>) -> Void) {
        attempts.append(address)
        let outcome = outcomes.isEmpty ? defaultOutcome : outcomes.removeFirst()
        switch outcome {
        case .connect, .connectAfter:
            var delay: UInt64 = 0
            if case .connectAfter(let d) = outcome { delay = d }
            clock.schedule(after: delay) { [self] in
                let connection = FakeConnection()
                connection.remoteAddress = address
                connections.append(connection)
                completion(.success(connection))
            }
        case .refuse:
            clock.schedule(after: 0) {
                completion(.failure(NetworkError(operation: "dial tcp", address: address.description, message: "connect: connection refused")))
            }
        case .hang:
            clock.schedule(after: timeoutNanoseconds) {
                completion(.failure(NetworkError(operation: "dial tcp", address: address.description, message: "i/o timeout")))
            }
        }
    }
}

/// Literals resolve to themselves; other names come from `table` (missing → no such host).
final class FakeResolver: Resolver {
    var table: [String: [String]] = [:]
    let clock: FakeClock
    init(clock: FakeClock) { self.clock = clock }

    func resolve(host: String, completion: @escaping (Result<[String], NetworkError>) -> Void) {
        let isLiteral = host.allSatisfy { $0.isNumber || $0 == "." } || host.contains(":")
        let result: Result<[String], NetworkError> = isLiteral ? .success([host])
            : table[host].map { .success($0) } ?? .failure(NetworkError(operation: "lookup", address: host, message: "no such host"))
        clock.schedule(after: 0) { completion(result) }
    }
}

final class FakeDatagramSocket: DatagramSocket {
    weak var delegate: DatagramSocketDelegate?
    var localAddress = SocketAddress(host: "0.0.0.0", port: 40000)
    var sent: [[UInt8]] = []
    var closed = false
    var sendError: NetworkError?
    func send(_ bytes: [UInt8], to address: SocketAddress?) throws(NetworkError) {
        if let sendError { throw sendError }
        sent.append(bytes)
    }
    func close() { closed = true }
}

final class FakeDatagrams: DatagramNetwork {
    private(set) var sockets: [(socket: FakeDatagramSocket, peer: SocketAddress?)] = []
    func bind(local: SocketAddress, peer: SocketAddress?) throws(NetworkError) -> DatagramSocket {
        let socket = FakeDatagramSocket()
        sockets.append((socket, peer))
        return socket
    }
}

/// Processes that finish when the test says, with the outcome it gives.
final class FakeProcesses: ProcessRunner {
    final class Child: RunningProcess {
        let request: ProcessRequest
        var completion: ((ProcessOutcome) -> Void)?
        var killed = false
        init(request: ProcessRequest, completion: @escaping (ProcessOutcome) -> Void) {
            self.request = request
            self.completion = completion
        }
        func kill() { killed = true }
        func finish(_ outcome: ProcessOutcome) {
            let c = completion
            completion = nil
            c?(outcome)
        }
    }
    private(set) var children: [Child] = []
    var spawnError: ProcessError?

    func run(_ request: ProcessRequest, completion: @escaping (ProcessOutcome) -> Void) throws(ProcessError) -> RunningProcess {
        if let spawnError { throw spawnError }
        let child = Child(request: request, completion: completion)
        children.append(child)
        return child
    }
}

/// Everything fake, wired into a CheckEnvironment-shaped bundle.
final class FakeWorld {
    let clock = FakeClock()
    let random: FixedRandom
    lazy var network = FakeNetwork(clock: clock)
    lazy var resolver = FakeResolver(clock: clock)
    let datagrams = FakeDatagrams()
    let processes = FakeProcesses()
    var reports: [CheckStatusUpdate] = []
    var logged: [String] = []

    init(random: [UInt64] = [0]) { self.random = FixedRandom(random) }
}

extension FakeWorld {
    func environment(scripts: Bool = true, outputMaxSize: Int = 0, alias: AliasSource? = nil) -> CheckEnvironment {
        CheckEnvironment(clock: clock, random: random, network: network, datagrams: datagrams, resolver: resolver,
                         processes: processes, enableScriptChecks: scripts, outputMaxSize: outputMaxSize,
                         aliasSource: alias, log: { [unowned self] _, message, _ in self.logged.append(message) })
    }

    /// Decodes, validates and builds a runner whose reports land in `reports`; started.
    func start(_ json: String, scripts: Bool = true, outputMaxSize: Int = 0, alias: AliasSource? = nil) throws -> CheckRunner {
        let type = try CheckType.decode(JSONParser.parse(json))
        try type.validate()
        let runner = try CheckRunnerFactory.make(type: type, checkID: type.checkID.isEmpty ? "check" : type.checkID,
                                                 environment: environment(scripts: scripts, outputMaxSize: outputMaxSize, alias: alias)) {
            [unowned self] update in self.reports.append(update)
        }
        runner.start()
        return runner
    }

    var statuses: [String] { reports.map(\.status) }
    var lastOutput: String { reports.last?.output ?? "" }
}
