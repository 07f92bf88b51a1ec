/// The read-only RBAC the cluster watcher needs: a service account, a ClusterRole that may
/// only get, list and watch what tags are made of, its binding, and a long-lived token
/// Secret from which `rampart-manager credentials` makes the credential file.
///
/// ```swift
/// print(RBACManifest.yaml(namespace: "rampart-system"))
/// ```
public enum RBACManifest {
    public static let serviceAccount = "rampart-watcher"
    public static let secret = "rampart-watcher-token"

    public static func yaml(namespace: String = "rampart-system") -> String {
        """
        # Read-only access for Rampart's cluster watcher (rampart-manager).
        # Apply: kubectl apply -f rbac.yaml
        # Then:  rampart-manager credentials --kubeconfig ADMIN.kubeconfig --output CLUSTER.json
        apiVersion: v1
        kind: Namespace
        metadata:
          name: \(namespace)
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: \(serviceAccount)
          namespace: \(namespace)
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata:
          name: \(serviceAccount)
        rules:
          - apiGroups: [""]
            resources: [pods, namespaces, services, nodes]
            verbs: [get, list, watch]
          - apiGroups: [discovery.k8s.io]
            resources: [endpointslices]
            verbs: [get, list, watch]
          - apiGroups: [apps]
            resources: [replicasets, deployments, statefulsets, daemonsets]
            verbs: [get, list, watch]
          - apiGroups: [batch]
            resources: [jobs, cronjobs]
            verbs: [get, list, watch]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: \(serviceAccount)
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: \(serviceAccount)
        subjects:
          - kind: ServiceAccount
            name: \(serviceAccount)
            namespace: \(namespace)
        ---
        # A long-lived token for a manager outside the cluster; the token controller fills it.
        apiVersion: v1
        kind: Secret
        metadata:
          name: \(secret)
          namespace: \(namespace)
          annotations:
            kubernetes.io/service-account.name: \(serviceAccount)
        type: kubernetes.io/service-account-token

        """
    }
}
