import HTTP1
import Platform

/// One request/response on a fresh connection: writes the request, parses the response with
/// HTTP1's client parser, closes. Bounded in size; the time bound belongs to the caller.
final class HTTPExchange: StreamConnectionDelegate {
    /// A response larger than this (head + body) is abandoned; health endpoints answer small.
    static let responseBytesMax = 16 << 20

    private let connection: StreamConnection
    private var parser: HTTPResponseParser
    private var received = 0
    private var completion: ((Result<HTTPClientResponse, HTTPCheckURLError>) -> Void)?

    init(connection: StreamConnection, request: [UInt8], isHead: Bool,
         completion: @escaping (Result<HTTPClientResponse, HTTPCheckURLError>) -> Void) {
        self.connection = connection
        parser = HTTPResponseParser(requestWasHead: isHead)
        self.completion = completion
        connection.delegate = self
        connection.write(request)
    }

    /// Drops the exchange without a completion.
    func cancel() {
        completion = nil
        connection.delegate = nil
        connection.close()
    }

    func connection(_ connection: StreamConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard completion != nil else { return }
        received += bytes.count
        if received > HTTPExchange.responseBytesMax {
            finish(.failure(.init("http: response larger than \(HTTPExchange.responseBytesMax) bytes")))
            return
        }
        parser.feed(bytes)
        do {
            if let response = try parser.next() { finish(.success(response)) }
        } catch {
            finish(.failure(.init("net/http: HTTP/1.x transport connection broken: malformed HTTP response")))
        }
    }

    func connectionDidClose(_ connection: StreamConnection) {
        guard completion != nil else { return }
        if received == 0 {
            finish(.failure(.init("EOF")))
            return
        }
        do {
            if let response = try parser.next(atEOF: true) {
                finish(.success(response))
            } else {
                finish(.failure(.init("unexpected EOF")))
            }
        } catch {
            finish(.failure(.init("net/http: HTTP/1.x transport connection broken: malformed HTTP response")))
        }
    }

    func connectionDidDrainWrites(_ connection: StreamConnection) {}

    private func finish(_ result: Result<HTTPClientResponse, HTTPCheckURLError>) {
        guard let completion else { return }
        self.completion = nil
        connection.delegate = nil
        connection.close()
        completion(result)
    }
}
