# /etc/consul.d/consul.hcl — configuration of the Consul agent (Swift).
#
# The agent reads every *.hcl and *.json file in /etc/consul.d/ in
# alphabetical order (consul.service runs `consul agent -config-dir=/etc/consul.d/`),
# so site settings can also go into files of their own, e.g. server.hcl.
# Check a change before applying it:
#
#   consul validate /etc/consul.d/ && systemctl reload consul
#
# The keys are HashiCorp Consul's; see
# https://developer.hashicorp.com/consul/docs/agent/config/config-files
# Keys this build accepts but does not act on are named by `consul validate`.
# TLS and ACL settings are refused rather than ignored (this build has neither).

# datacenter
# The datacenter the agent runs in; "dc1" if unset. Agents of one datacenter
# should share a LAN.
#datacenter = "my-dc-1"

# data_dir
# Where the agent keeps its state: the Raft log and snapshots on a server, the
# node ID and local services and checks on every agent. It must survive
# reboots. The package creates /opt/consul (mode 0750, owner consul) and never
# deletes it, not even on purge.
data_dir = "/opt/consul"

# client_addr
# The address the client interfaces (HTTP API and DNS) listen on: 127.0.0.1
# by default, so only local connections reach them.
#client_addr = "0.0.0.0"

# ui_config
# This build has no web UI yet; the key is accepted for compatibility.
#ui_config {
#  enabled = true
#}

# server
# Run as a server (Raft member, holder of the catalog and KV store) instead of
# a client agent. A datacenter needs at least one server and should have 3 or 5.
#server = true

# bootstrap_expect
# With server = true: the number of servers expected in the datacenter. The
# servers wait until that many have joined, then elect the first leader. All
# servers must agree on this value.
#bootstrap_expect = 3

# bind_addr
# The address used for cluster communication (gossip and server RPC). With
# more than one private IPv4 address this must be set explicitly.
#bind_addr = "0.0.0.0"   # all IPv4 addresses
#bind_addr = "::"        # all IPv6 addresses
#
# advertise_addr
# The address other agents should use to reach this one, if not bind_addr.
#advertise_addr = "10.0.4.67"

# encrypt
# The gossip encryption key: 32 bytes, Base64-encoded, the same on every agent
# of the cluster. Create one with `consul keygen`. This file is readable by
# root and the consul group only.
#encrypt = "..."

# retry_join
# Addresses of agents to join at start, retried until one answers; after that
# membership is kept by gossip. IPv6 addresses are written in brackets; a
# non-default Serf LAN port is given after a colon.
#retry_join = ["consul.domain.internal"]
#retry_join = ["10.0.4.67"]
#retry_join = ["[::1]:8301"]
#retry_join = ["consul.domain.internal", "10.0.4.67"]

# ports
# Listening ports (the defaults shown). A port of -1 disables that listener.
#ports {
#  http     = 8500
#  dns      = 8600
#  serf_lan = 8301
#  serf_wan = 8302
#  server   = 8300
#  grpc     = -1
#}

# Example: one server of a three-server datacenter
#server           = true
#bootstrap_expect = 3
#bind_addr        = "10.0.4.67"
#client_addr      = "127.0.0.1"
#retry_join       = ["10.0.4.68", "10.0.4.69"]
#encrypt          = "..."

# Example: a client agent
#server      = false
#bind_addr   = "10.0.4.70"
#retry_join  = ["10.0.4.67", "10.0.4.68", "10.0.4.69"]
#encrypt     = "..."
