import ConsulCLI
