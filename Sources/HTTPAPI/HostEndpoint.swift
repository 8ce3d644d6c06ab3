import ConsulAPI
import HTTP1
import Platform

/// `/v1/agent/host` (the machine, in the field names gopsutil gives Consul's) and
/// `/v1/agent/version`.
final class HostEndpoint {
    private unowned let api: ConsulHTTPAPI
    private let local: LocalAgent
    init(api: ConsulHTTPAPI, local: LocalAgent) {
        self.api = api
        self.local = local
    }

    func host(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        guard let report = local.hostReport() else { return responder.respond(.text(500, "host facts are not available")) }
        var json = JSONWriter(pretty: options.pretty, reserve: 8192)
        json.beginObject()
        json.key("Memory")
        json.beginObject()
        json.field("total", report.memory.total)
        json.field("available", report.memory.available)
        json.field("used", report.memory.used)
        json.key("usedPercent")
        json.rawNumber(number(report.memory.usedPercent))
        json.field("free", report.memory.free)
        json.field("buffers", report.memory.buffers)
        json.field("cached", report.memory.cached)
        json.endObject()
        json.key("CPU")
        json.beginArray()
        for cpu in report.cpus {
            json.beginObject()
            json.field("cpu", cpu.number)
            json.field("vendorId", cpu.vendorID)
            json.field("family", cpu.family)
            json.field("model", cpu.model)
            json.field("stepping", cpu.stepping)
            json.field("physicalId", cpu.physicalID)
            json.field("coreId", cpu.coreID)
            json.field("cores", cpu.cores)
            json.field("modelName", cpu.modelName)
            json.key("mhz")
            json.rawNumber(number(cpu.mhz))
            json.field("cacheSize", cpu.cacheSizeKB)
            json.key("flags")
            json.beginArray()
            for flag in cpu.flags { json.string(flag) }
            json.endArray()
            json.field("microcode", cpu.microcode)
            json.endObject()
        }
        json.endArray()
        json.key("Host")
        json.beginObject()
        json.field("hostname", report.host.hostname)
        json.field("uptime", report.host.uptimeSeconds)
        json.field("bootTime", report.host.bootTimeSeconds)
        json.field("procs", report.host.processes)
        json.field("os", report.host.os)
        json.field("platform", report.host.platform)
        json.field("platformFamily", report.host.platformFamily)
        json.field("platformVersion", report.host.platformVersion)
        json.field("kernelVersion", report.host.kernelVersion)
        json.field("kernelArch", report.host.kernelArch)
        json.field("virtualizationSystem", "")
        json.field("virtualizationRole", "")
        json.field("hostId", report.host.hostID)
        json.endObject()
        json.key("Disk")
        json.beginObject()
        json.field("path", report.disk.path)
        json.field("fstype", report.disk.fstype)
        json.field("total", report.disk.total)
        json.field("free", report.disk.free)
        json.field("used", report.disk.used)
        json.key("usedPercent")
        json.rawNumber(number(report.disk.usedPercent))
        json.field("inodesTotal", report.disk.inodesTotal)
        json.field("inodesUsed", report.disk.inodesUsed)
        json.field("inodesFree", report.disk.inodesFree)
        json.key("inodesUsedPercent")
        json.rawNumber(number(report.disk.inodesUsedPercent))
        json.endObject()
        json.field("CollectionTime", UInt64(max(0, report.collectionTime)))
        json.key("Errors")
        if report.errors.isEmpty {
            json.null()
        } else {
            json.beginArray()
            for error in report.errors { json.string(error) }
            json.endArray()
        }
        json.endObject()
        responder.respond(.json(&json))
    }

    func version(_ request: HTTPRequest, _ responder: Responder) {
        guard let options = api.parseOptions(request, responder) else { return }
        var json = JSONWriter(pretty: options.pretty, reserve: 128)
        json.beginObject()
        json.field("SHA", ConsulVersion.revision)
        json.field("BuildDate", ConsulVersion.buildDate)
        json.field("HumanVersion", ConsulVersion.version + (ConsulVersion.prerelease.isEmpty ? "" : "-" + ConsulVersion.prerelease))
        json.field("FIPS", "")
        json.endObject()
        responder.respond(.json(&json))
    }

    private func number(_ value: Double) -> String {
        value.isFinite ? (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)) : "0"
    }
}
