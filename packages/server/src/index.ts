// Public surface of @warden/server: the registry and `type Registry` once permissionSession lands.
export {};
