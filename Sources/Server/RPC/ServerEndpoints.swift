import ConsulState
import HTTPAPI
import Platform
import Raft

/// What a server answers other agents over the server RPC (docs/rpc.md): Raft traffic, writes
/// forwarded to the leader, read indexes for followers, the peer list, and a client agent's
/// HTTP requests and DNS queries run here.
extension ConsulServer: RPCHandler {
    public func handleRaft(_ message: Message) {
        raftNode.receive(message)
    }

    public func handleRequest(_ request: RPCRequest, from peer: SocketAddress?, reply: @escaping (RPCResponse) -> Void) {
        metrics?.rpcRequest.increment()
        switch request.method {
        case .apply:
            // From a client agent or a follower: apply here if leading, else forward on.
            guard let command = try? Command(encoded: request.body) else { return reply(.error(code: .badRequest, message: "malformed command")) }
            backend.apply(command) { result in
                switch result {
                case .success(let r): reply(.ok(RPCReplyCodec.encode(r)))
                case .failure(.noLeader): reply(.error(code: .noLeader, message: "No cluster leader"))
                case .failure(.other(let message)): reply(.error(code: .rejected, message: message))
                }
            }
        case .readIndex: backend.serveReadIndex(consistent: request.body.first == 1, reply: reply)
        case .peers: reply(.ok(RPCReplyCodec.encode(strings: raftPeers)))
        case .dnsQuery: host.answerDNS(request.body, reply)
        case .forwardHTTP:
            guard let forwarded = try? ForwardedHTTP.decodeRequest(request.body) else {
                return reply(.error(code: .badRequest, message: "malformed forwarded HTTP request"))
            }
            host.dispatchHTTP(forwarded, Responder { response in reply(.ok(ForwardedHTTP.encode(response))) })
        }
    }
}
