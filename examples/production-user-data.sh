# Appended to spotcover's user data by examples/production.yaml (instances.user_data).
# Rendered with handlebars, like spotcover's own: `cluster` is the cluster's name, `capacity`
# spot or on-demand.
echo "joined {{cluster}} as {{capacity}}" > /etc/motd
# A shell variable reaches the instance as written (spotcover escapes it for Fn::Sub).
echo "kernel ${HOSTNAME:-unknown}" >> /etc/motd
