# Pulumi stack settings of site @@site@@ (the stack is named like the site). Commit this file.
#
# `pulumi stack init @@site@@` adds the encryption salt of the passphrase secrets provider here
# (Pulumi rewrites the file then, without these comments; README.md has them too).
# Secrets are stored here encrypted, never in plain text, for example:
#   pulumi config set --secret --path 'fluxops:secrets.@@namespace@@/<secret>.<key>' '<value>'
# and become the Kubernetes Secret <secret> in namespace @@namespace@@. Which cluster to deploy to
# (default: $KUBECONFIG and its current context):
#   pulumi config set fluxops:kubeconfig ~/.kube/@@site@@.yaml
#   pulumi config set fluxops:context @@site@@
config: {}
