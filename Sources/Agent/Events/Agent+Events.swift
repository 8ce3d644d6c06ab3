import ConsulAPI
import HTTPAPI
import Wire

/// User events (`/v1/event/*`): fired into the LAN gossip pool as serf user events, recorded
/// by every agent whose node name and local services pass the event's filters — the firing
/// agent too, because serf delivers its own events locally.
extension Agent: UserEventAgent {
    public func fireUserEvent(_ event: UserEvent) -> Result<UserEvent, HTTPResponseError> {
        var event = event
        event.id = randomEventID()
        event.version = UserEvent.versionMax
        event.ltime = 0
        if let reason = event.validationError() { return .failure(HTTPResponseError(500, reason)) }
        let payload = UserEventWire.encode(event)
        if let lanPool {
            do { try lanPool.userEvent(name: UserEventWire.serfName(event.name), payload: payload) } catch {
                return .failure(HTTPResponseError(500, "\(error)"))
            }
        } else {
            // Gossip disabled (serf_lan port < 1): the event reaches only this agent.
            receiveSerfUserEvent(name: UserEventWire.serfName(event.name), payload: payload, ltime: 0)
        }
        logger.debug("agent: fired user event", [("name", event.name), ("id", event.id)])
        return .success(event)
    }

    public func userEvents() -> [UserEvent] { eventLog.events }

    public func watchUserEvents(_ wake: @escaping () -> Void) -> UInt64 { eventLog.watch(wake) }

    public func cancelUserEventWatch(_ token: UInt64) { eventLog.cancel(token) }

    /// A serf user event from the LAN pool: Consul's are decoded, filtered against this agent
    /// and recorded; others (and undecodable ones) are ignored.
    func receiveSerfUserEvent(name: String, payload: [UInt8], ltime: UInt64) {
        guard let event = UserEventWire.decode(serfName: name, payload: payload, ltime: ltime) else { return }
        if event.version > UserEvent.versionMax {
            logger.warn("agent: Event version may have unsupported features", [("version", String(event.version))])
        }
        let services = local.services.values.map { (id: $0.id, name: $0.service, tags: $0.tags) }
        guard event.matches(nodeName: config.nodeName, services: services) else {
            logger.debug("agent: user event filtered out", [("name", event.name), ("id", event.id)])
            return
        }
        logger.debug("agent: new event", [("event", event.name), ("id", event.id)])
        eventLog.record(event)
        if event.name == RemoteExecJob.eventName { startRemoteExec(event) }
    }

    /// A `consul exec` job for this agent: run unless remote execution is disabled (the default).
    private func startRemoteExec(_ event: UserEvent) {
        guard !config.disableRemoteExec else { return logger.info("ignoring remote exec event, disabled.", [("event_id", event.id)]) }
        let job = RemoteExecJob(payload: event.payload ?? [], node: config.nodeName,
                                dispatch: { [weak self] request, responder in self?.dispatchHTTP(request, responder) },
                                clock: environment.clock, processes: environment.processes, logger: logger.named("remote_exec"))
        guard let job else { return logger.warn("remote exec: malformed request", [("event_id", event.id)]) }
        job.start()
    }

    /// A random (version 4) UUID from the agent's random source.
    private func randomEventID() -> String { UUIDText.random(environment.random.nextUInt64) }
}
