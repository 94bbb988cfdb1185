# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rl_global_optspecs
    string join \n h/help V/version
end

function __fish_rl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rl_using_subcommand
    set -l cmd (__fish_rl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rl -n "__fish_rl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rl -n "__fish_rl_needs_command" -s V -l version -d 'Print version'
complete -c rl -n "__fish_rl_needs_command" -f -a "attach" -d 'Attach to a running container\'s input and output (detached containers)'
complete -c rl -n "__fish_rl_needs_command" -f -a "build" -d 'Build an image from a Containerfile or Dockerfile'
complete -c rl -n "__fish_rl_needs_command" -f -a "commit" -d 'Create a new image from a container\'s changes'
complete -c rl -n "__fish_rl_needs_command" -f -a "completion" -d 'Print a shell completion script (bash, zsh, fish)'
complete -c rl -n "__fish_rl_needs_command" -f -a "container" -d 'Manage containers'
complete -c rl -n "__fish_rl_needs_command" -f -a "cp" -d 'Copy files between a container and the host'
complete -c rl -n "__fish_rl_needs_command" -f -a "create" -d 'Create a container without starting it (prints its id)'
complete -c rl -n "__fish_rl_needs_command" -f -a "diff" -d 'Show the changes to a container\'s file system'
complete -c rl -n "__fish_rl_needs_command" -f -a "events" -d 'Show events from rl\'s event log'
complete -c rl -n "__fish_rl_needs_command" -f -a "exec" -d 'Run a command in a running container'
complete -c rl -n "__fish_rl_needs_command" -f -a "export" -d 'Export a container\'s file system as a tar archive'
complete -c rl -n "__fish_rl_needs_command" -f -a "healthcheck" -d 'Manage health checks'
complete -c rl -n "__fish_rl_needs_command" -f -a "history" -d 'Show the history of an image'
complete -c rl -n "__fish_rl_needs_command" -f -a "image" -d 'Manage images'
complete -c rl -n "__fish_rl_needs_command" -f -a "images" -d 'List images'
complete -c rl -n "__fish_rl_needs_command" -f -a "import" -d 'Create an image from a root file system tarball'
complete -c rl -n "__fish_rl_needs_command" -f -a "info" -d 'Show what rl knows about this machine: ids, overlay, devices, network helpers, cgroups, store'
complete -c rl -n "__fish_rl_needs_command" -f -a "inspect" -d 'Display detailed information on containers, images, volumes or networks'
complete -c rl -n "__fish_rl_needs_command" -f -a "kill" -d 'Kill running containers with a signal'
complete -c rl -n "__fish_rl_needs_command" -f -a "load" -d 'Load images from a docker-archive or oci-archive'
complete -c rl -n "__fish_rl_needs_command" -f -a "login" -d 'Log in to a registry'
complete -c rl -n "__fish_rl_needs_command" -f -a "logout" -d 'Log out of a registry'
complete -c rl -n "__fish_rl_needs_command" -f -a "logs" -d 'Fetch the logs of a container'
complete -c rl -n "__fish_rl_needs_command" -f -a "network" -d 'Manage networks'
complete -c rl -n "__fish_rl_needs_command" -f -a "pause" -d 'Pause all processes of containers (SIGSTOP: there is no freezer)'
complete -c rl -n "__fish_rl_needs_command" -f -a "port" -d 'List the published ports of a container'
complete -c rl -n "__fish_rl_needs_command" -f -a "ps" -d 'List containers'
complete -c rl -n "__fish_rl_needs_command" -f -a "pull" -d 'Pull an image from a registry'
complete -c rl -n "__fish_rl_needs_command" -f -a "push" -d 'Push an image to a registry'
complete -c rl -n "__fish_rl_needs_command" -f -a "rename" -d 'Rename a container'
complete -c rl -n "__fish_rl_needs_command" -f -a "restart" -d 'Restart containers'
complete -c rl -n "__fish_rl_needs_command" -f -a "rm" -d 'Remove containers'
complete -c rl -n "__fish_rl_needs_command" -f -a "rmi" -d 'Remove images'
complete -c rl -n "__fish_rl_needs_command" -f -a "run" -d 'Run a command in a new container (foreground)'
complete -c rl -n "__fish_rl_needs_command" -f -a "save" -d 'Save images to a docker-archive or oci-archive'
complete -c rl -n "__fish_rl_needs_command" -f -a "start" -d 'Start containers (under their monitor; `-a` in the foreground)'
complete -c rl -n "__fish_rl_needs_command" -f -a "stats" -d 'Show resource usage of containers (summed from /proc: no cgroups)'
complete -c rl -n "__fish_rl_needs_command" -f -a "stop" -d 'Stop running containers'
complete -c rl -n "__fish_rl_needs_command" -f -a "system" -d 'Manage rl itself'
complete -c rl -n "__fish_rl_needs_command" -f -a "tag" -d 'Add names to an image'
complete -c rl -n "__fish_rl_needs_command" -f -a "top" -d 'Show the processes of a container'
complete -c rl -n "__fish_rl_needs_command" -f -a "unshare" -d 'Run a command in rl\'s user namespace (default: your shell)'
complete -c rl -n "__fish_rl_needs_command" -f -a "unpause" -d 'Unpause containers'
complete -c rl -n "__fish_rl_needs_command" -f -a "untag" -d 'Remove names from an image'
complete -c rl -n "__fish_rl_needs_command" -f -a "version" -d 'Show rl\'s version'
complete -c rl -n "__fish_rl_needs_command" -f -a "volume" -d 'Manage volumes'
complete -c rl -n "__fish_rl_needs_command" -f -a "wait" -d 'Wait for containers to stop and print their exit codes'
complete -c rl -n "__fish_rl_using_subcommand attach" -l detach-keys -d 'Key sequence that detaches: comma-separated keys, each a character or ctrl-<value> with a letter or one of @ [ \\ ] ^ _ ("" disables detaching)' -r
complete -c rl -n "__fish_rl_using_subcommand attach" -l sig-proxy -d 'Pass signals received by rl to the container (without a pseudo-terminal)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand attach" -l no-stdin -d 'Do not pass standard input to the container (output only)'
complete -c rl -n "__fish_rl_using_subcommand attach" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand build" -s t -l tag -d 'Name the image (repeatable)' -r
complete -c rl -n "__fish_rl_using_subcommand build" -s f -l file -d 'The Containerfile (default: Containerfile, else Dockerfile, in the context); `-` for stdin' -r -F
complete -c rl -n "__fish_rl_using_subcommand build" -l build-arg -d 'A build argument (K=V, or K to take it from the environment); repeatable' -r
complete -c rl -n "__fish_rl_using_subcommand build" -l target -d 'Build up to this stage (name or index)' -r
complete -c rl -n "__fish_rl_using_subcommand build" -l pull -d 'When to pull base images: missing (default), always, never (`--pull` alone: always)' -r
complete -c rl -n "__fish_rl_using_subcommand build" -l layers -d 'Cache each step\'s image (default true); false builds without the cache' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand build" -l format -d 'Image format: oci (default) or docker (accepted; rl stores OCI images)' -r
complete -c rl -n "__fish_rl_using_subcommand build" -l label -d 'Add a label to the image (K=V); repeatable' -r
complete -c rl -n "__fish_rl_using_subcommand build" -l network -d 'The network RUN steps use (as `rl run --network`)' -r
complete -c rl -n "__fish_rl_using_subcommand build" -l iidfile -d 'Write the image id to this file' -r -F
complete -c rl -n "__fish_rl_using_subcommand build" -l no-cache -d 'Do not use the layer cache'
complete -c rl -n "__fish_rl_using_subcommand build" -s q -l quiet -d 'Print only the image id'
complete -c rl -n "__fish_rl_using_subcommand build" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand commit" -s a -l author -d 'The author of the image' -r
complete -c rl -n "__fish_rl_using_subcommand commit" -s c -l change -d 'A Dockerfile instruction applied to the image\'s config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR); repeatable' -r
complete -c rl -n "__fish_rl_using_subcommand commit" -s m -l message -d 'The commit message (the history entry\'s comment)' -r
complete -c rl -n "__fish_rl_using_subcommand commit" -s p -l pause -d 'Pause the container (SIGSTOP) while its changes are read' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand commit" -s f -l format -d 'Image format: oci (default) or docker (accepted; rl stores OCI images)' -r
complete -c rl -n "__fish_rl_using_subcommand commit" -s q -l quiet -d 'Print nothing but the image id'
complete -c rl -n "__fish_rl_using_subcommand commit" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "attach" -d 'Attach to a running container\'s input and output (detached containers)'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "commit" -d 'Create a new image from a container\'s changes'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "cp" -d 'Copy files between a container and the host'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "create" -d 'Create a container without starting it (prints its id)'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "diff" -d 'Show the changes to a container\'s file system'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "exec" -d 'Run a command in a running container'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "export" -d 'Export a container\'s file system as a tar archive'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "inspect" -d 'Display detailed information on containers'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "kill" -d 'Kill running containers with a signal'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "logs" -d 'Fetch the logs of a container'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "ls" -d 'List containers'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "ps" -d 'List containers'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "list" -d 'List containers'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "pause" -d 'Pause all processes of containers (SIGSTOP: there is no freezer)'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "port" -d 'List the published ports of a container'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "prune" -d 'Remove all stopped containers'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "rename" -d 'Rename a container'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "restart" -d 'Restart containers'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "rm" -d 'Remove containers'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "run" -d 'Run a command in a new container (foreground)'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "start" -d 'Start containers (under their monitor; `-a` in the foreground)'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "stats" -d 'Show resource usage of containers (summed from /proc: no cgroups)'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "stop" -d 'Stop running containers'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "top" -d 'Show the processes of a container'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "unpause" -d 'Unpause containers'
complete -c rl -n "__fish_rl_using_subcommand container; and not __fish_seen_subcommand_from attach commit cp create diff exec export inspect kill logs ls ps list pause port prune rename restart rm run start stats stop top unpause wait" -f -a "wait" -d 'Wait for containers to stop and print their exit codes'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from attach" -l detach-keys -d 'Key sequence that detaches: comma-separated keys, each a character or ctrl-<value> with a letter or one of @ [ \\ ] ^ _ ("" disables detaching)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from attach" -l sig-proxy -d 'Pass signals received by rl to the container (without a pseudo-terminal)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from attach" -l no-stdin -d 'Do not pass standard input to the container (output only)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from attach" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from commit" -s a -l author -d 'The author of the image' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from commit" -s c -l change -d 'A Dockerfile instruction applied to the image\'s config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR); repeatable' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from commit" -s m -l message -d 'The commit message (the history entry\'s comment)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from commit" -s p -l pause -d 'Pause the container (SIGSTOP) while its changes are read' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from commit" -s f -l format -d 'Image format: oci (default) or docker (accepted; rl stores OCI images)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from commit" -s q -l quiet -d 'Print nothing but the image id'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from commit" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from cp" -s a -l archive -d 'Give copied files to the container\'s main user (--archive=false: keep the source\'s ids)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from cp" -s L -l follow-link -d 'Follow a symlink at the end of the source path'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from cp" -s q -l quiet -d 'Print nothing (rl prints nothing on success anyway)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from cp" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s a -l attach -d 'Attach only these streams in the foreground: STDIN, STDOUT, STDERR (default: all)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l log-driver -d 'Where the container\'s output goes: k8s-file (the default; json-file is taken as it) or none' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l health-cmd -d 'Health check command (run by /bin/sh -c; a JSON array runs as is)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l health-interval -d 'Time between health checks (default 30s; "disable" turns them off)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l health-retries -d 'Consecutive failures before the container is unhealthy (default 3)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l health-timeout -d 'A check running longer fails (default 30s)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l health-start-period -d 'Failures in this time after the start do not count (default 0s)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l health-on-failure -d 'When unhealthy: none, kill, restart or stop' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l restart -d 'Restart policy of a detached container: no, on-failure[:N], always, unless-stopped' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l log-opt -d 'Logging options: max-size=SIZE (rotate the log past SIZE)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l name -d 'Name of the container' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s e -l env -d 'Set an environment variable: KEY=VALUE, or KEY to pass the host\'s value' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l env-file -d 'Read environment variables from a file (KEY=VALUE lines)' -r -F
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s w -l workdir -d 'Working directory inside the container' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s u -l user -d 'User to run as: USER[:GROUP], names or numbers' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l group-add -d 'Additional groups for the user' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l entrypoint -d 'Override the image\'s entrypoint ("" clears it)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s h -l hostname -d 'Container host name' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l network -d 'Network: slirp4netns[:OPTIONS] (the default), pasta[:ARGS], none, host, container:NAME, or a network made with `rl network create` (repeatable for several)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s p -l publish -d 'Publish a container port on the host: [IP:][HOSTPORT:]CPORT[/tcp|/udp], ranges allowed' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l dns -d 'DNS server for the container\'s /etc/resolv.conf (`none`: no nameserver)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l dns-search -d 'DNS search domain ("." for none)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l dns-option -d 'DNS resolver option (resolv.conf `options`)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l add-host -d 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the address reaching the host)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l network-alias -d 'Another name for the container on its user-defined networks' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l read-only-tmpfs -d 'With --read-only, mount tmpfs on /run, /tmp and /var/tmp' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l tmpfs -d 'Mount a tmpfs: PATH[:OPTIONS]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s v -l volume -d 'Bind a host path or mount a volume: [HOST-PATH|NAME:]CONTAINER[:ro|rw|U|nocopy|...]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l mount -d 'Attach a mount: type=bind|volume|tmpfs,source=,target=[,readonly,...]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l userns -d 'User namespace: keep-id (your uid and gid inside, with a passwd entry) or host (the default)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l uidmap -d 'Map container uids: CONTAINER_ID:ID:SIZE (ID in rl\'s namespace: 0 = you, 1.. = your subuids)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l gidmap -d 'Map container gids, as --uidmap (default: the --uidmap ranges)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l cap-add -d 'Add capabilities (CAP_NET_RAW, net_raw, ALL)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l cap-drop -d 'Drop capabilities' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l security-opt -d 'Security options: no-new-privileges, seccomp=unconfined|FILE, mask=PATHS, unmask=PATHS|ALL' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l ulimit -d 'Resource limits: NAME=SOFT[:HARD] (nofile, nproc, core, ...)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l sysctl -d 'Namespaced kernel parameters: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s l -l label -d 'Labels: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l annotation -d 'Annotations: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l sig-proxy -d 'Pass signals received by rl to the container' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l stop-signal -d 'Signal that stops the container' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l pull -d 'When to pull the image: missing, always, never, newer' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l platform -d 'Platform for a pulled image: OS/ARCH[/VARIANT]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s m -l memory -d 'Memory limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l cpus -d 'CPU limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l pids-limit -d 'Process limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s i -l interactive -d 'Keep standard input open (pipe it to the container)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s d -l detach -d 'Run in the background: print the container\'s id and leave it to its monitor'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l no-healthcheck -d 'Disable the image\'s HEALTHCHECK'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l rm -d 'Remove the container when it exits'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -s P -l publish-all -d 'Publish every port the image exposes on a free host port'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l no-hosts -d 'Do not generate /etc/hosts: the image\'s stays'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l read-only -d 'Mount the root file system read-only'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l init -d 'Run rl\'s own init as pid 1: it forwards signals to the command and reaps zombies'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from create" -l privileged -d 'Give the container every capability and no masked paths'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from diff" -l format -d 'Output format: json' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from exec" -s e -l env -d 'Set an environment variable: KEY=VALUE, or KEY to pass the host\'s value' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from exec" -l env-file -d 'Read environment variables from a file' -r -F
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from exec" -s w -l workdir -d 'Working directory inside the container' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from exec" -s u -l user -d 'User to run as: USER[:GROUP], names or numbers (default: the container\'s)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from exec" -l sig-proxy -d 'Pass signals received by rl to the command' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from exec" -s i -l interactive -d 'Keep standard input open (pipe it to the command)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from exec" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from exec" -s d -l detach -d 'Run the command in the background'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from exec" -l privileged -d 'Give the command every capability'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from exec" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from export" -s o -l output -d 'Write the tar archive to this file (default: standard output, never a terminal)' -r -F
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from inspect" -s f -l format -d 'Output format: json (default), or a Go template applied to each object' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from inspect" -s t -l type -d 'What to look for: container, image, volume, network, or all (in that order)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from inspect" -s s -l size -d 'Show the container\'s size (accepted; sizes are not computed)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from kill" -s s -l signal -d 'Signal to send (name or number)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from kill" -s a -l all -d 'Signal every running container'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from kill" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from logs" -l tail -d 'Show only the last N lines ("all" or -1: every line)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from logs" -l since -d 'Show only lines since TIME: an RFC 3339 time, seconds since the epoch, or a duration back from now (10m, 1h30m)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from logs" -l until -d 'Show only lines until TIME (the forms of --since)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from logs" -s f -l follow -d 'Keep printing new output until the container stops'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from logs" -s t -l timestamps -d 'Prefix each line with its time (RFC 3339, UTC)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from logs" -s n -l names -d 'Prefix each line with the container\'s name'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from logs" -s l -l latest -d 'Act on the container created last'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from logs" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ls" -s n -l last -d 'Show only the N containers created last, whatever their state (0: all)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ls" -s f -l filter -d 'Filter: status=, name=, id=, label=KEY[=VALUE], ancestor=IMAGE, exited=CODE, health=, before=CONTAINER, since=CONTAINER (shows containers of every state)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ls" -l format -d 'Output format: json, or a Go template (\'table {{.ID}}\\t{{.Names}}\\t{{.Status}}\')' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ls" -l sort -d 'Sort by: command, created (newest first), id, image, names or status' -r -f -a "command\t''
created\t''
id\t''
image\t''
names\t''
status\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ls" -s a -l all -d 'Show all containers (default: only running and paused ones)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only container ids'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ls" -s l -l latest -d 'Show only the container created last, whatever its state'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ls" -l no-trunc -d 'Do not truncate ids and commands'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ls" -s s -l size -d 'Show the size of each container\'s changes to its image (its upper directory)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ls" -l noheading -d 'Do not print column headings'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ps" -s n -l last -d 'Show only the N containers created last, whatever their state (0: all)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ps" -s f -l filter -d 'Filter: status=, name=, id=, label=KEY[=VALUE], ancestor=IMAGE, exited=CODE, health=, before=CONTAINER, since=CONTAINER (shows containers of every state)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ps" -l format -d 'Output format: json, or a Go template (\'table {{.ID}}\\t{{.Names}}\\t{{.Status}}\')' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ps" -l sort -d 'Sort by: command, created (newest first), id, image, names or status' -r -f -a "command\t''
created\t''
id\t''
image\t''
names\t''
status\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ps" -s a -l all -d 'Show all containers (default: only running and paused ones)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ps" -s q -l quiet -d 'Print only container ids'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ps" -s l -l latest -d 'Show only the container created last, whatever its state'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ps" -l no-trunc -d 'Do not truncate ids and commands'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ps" -s s -l size -d 'Show the size of each container\'s changes to its image (its upper directory)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ps" -l noheading -d 'Do not print column headings'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from ps" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from list" -s n -l last -d 'Show only the N containers created last, whatever their state (0: all)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from list" -s f -l filter -d 'Filter: status=, name=, id=, label=KEY[=VALUE], ancestor=IMAGE, exited=CODE, health=, before=CONTAINER, since=CONTAINER (shows containers of every state)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from list" -l format -d 'Output format: json, or a Go template (\'table {{.ID}}\\t{{.Names}}\\t{{.Status}}\')' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from list" -l sort -d 'Sort by: command, created (newest first), id, image, names or status' -r -f -a "command\t''
created\t''
id\t''
image\t''
names\t''
status\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from list" -s a -l all -d 'Show all containers (default: only running and paused ones)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only container ids'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from list" -s l -l latest -d 'Show only the container created last, whatever its state'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from list" -l no-trunc -d 'Do not truncate ids and commands'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from list" -s s -l size -d 'Show the size of each container\'s changes to its image (its upper directory)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from list" -l noheading -d 'Do not print column headings'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from pause" -s a -l all -d 'Every running container (`pause`) or every paused one (`unpause`)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from pause" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from port" -s a -l all -d 'Every container'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from port" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from prune" -l filter -d 'Only containers matching: label=KEY[=VALUE], until=TIME' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not ask for confirmation'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from rename" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from restart" -s t -l time -d 'Seconds to wait for the stop signal to work before killing (default 10)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from restart" -s a -l all -d 'Restart every running container'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from restart" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from rm" -s f -l force -d 'Kill a running container first'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from rm" -s v -l volumes -d 'Remove the container\'s anonymous volumes too'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from rm" -s a -l all -d 'Remove every container'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s a -l attach -d 'Attach only these streams in the foreground: STDIN, STDOUT, STDERR (default: all)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l log-driver -d 'Where the container\'s output goes: k8s-file (the default; json-file is taken as it) or none' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l health-cmd -d 'Health check command (run by /bin/sh -c; a JSON array runs as is)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l health-interval -d 'Time between health checks (default 30s; "disable" turns them off)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l health-retries -d 'Consecutive failures before the container is unhealthy (default 3)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l health-timeout -d 'A check running longer fails (default 30s)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l health-start-period -d 'Failures in this time after the start do not count (default 0s)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l health-on-failure -d 'When unhealthy: none, kill, restart or stop' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l restart -d 'Restart policy of a detached container: no, on-failure[:N], always, unless-stopped' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l log-opt -d 'Logging options: max-size=SIZE (rotate the log past SIZE)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l name -d 'Name of the container' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s e -l env -d 'Set an environment variable: KEY=VALUE, or KEY to pass the host\'s value' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l env-file -d 'Read environment variables from a file (KEY=VALUE lines)' -r -F
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s w -l workdir -d 'Working directory inside the container' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s u -l user -d 'User to run as: USER[:GROUP], names or numbers' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l group-add -d 'Additional groups for the user' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l entrypoint -d 'Override the image\'s entrypoint ("" clears it)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s h -l hostname -d 'Container host name' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l network -d 'Network: slirp4netns[:OPTIONS] (the default), pasta[:ARGS], none, host, container:NAME, or a network made with `rl network create` (repeatable for several)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s p -l publish -d 'Publish a container port on the host: [IP:][HOSTPORT:]CPORT[/tcp|/udp], ranges allowed' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l dns -d 'DNS server for the container\'s /etc/resolv.conf (`none`: no nameserver)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l dns-search -d 'DNS search domain ("." for none)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l dns-option -d 'DNS resolver option (resolv.conf `options`)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l add-host -d 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the address reaching the host)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l network-alias -d 'Another name for the container on its user-defined networks' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l read-only-tmpfs -d 'With --read-only, mount tmpfs on /run, /tmp and /var/tmp' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l tmpfs -d 'Mount a tmpfs: PATH[:OPTIONS]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s v -l volume -d 'Bind a host path or mount a volume: [HOST-PATH|NAME:]CONTAINER[:ro|rw|U|nocopy|...]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l mount -d 'Attach a mount: type=bind|volume|tmpfs,source=,target=[,readonly,...]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l userns -d 'User namespace: keep-id (your uid and gid inside, with a passwd entry) or host (the default)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l uidmap -d 'Map container uids: CONTAINER_ID:ID:SIZE (ID in rl\'s namespace: 0 = you, 1.. = your subuids)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l gidmap -d 'Map container gids, as --uidmap (default: the --uidmap ranges)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l cap-add -d 'Add capabilities (CAP_NET_RAW, net_raw, ALL)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l cap-drop -d 'Drop capabilities' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l security-opt -d 'Security options: no-new-privileges, seccomp=unconfined|FILE, mask=PATHS, unmask=PATHS|ALL' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l ulimit -d 'Resource limits: NAME=SOFT[:HARD] (nofile, nproc, core, ...)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l sysctl -d 'Namespaced kernel parameters: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s l -l label -d 'Labels: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l annotation -d 'Annotations: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l sig-proxy -d 'Pass signals received by rl to the container' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l stop-signal -d 'Signal that stops the container' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l pull -d 'When to pull the image: missing, always, never, newer' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l platform -d 'Platform for a pulled image: OS/ARCH[/VARIANT]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s m -l memory -d 'Memory limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l cpus -d 'CPU limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l pids-limit -d 'Process limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s i -l interactive -d 'Keep standard input open (pipe it to the container)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s d -l detach -d 'Run in the background: print the container\'s id and leave it to its monitor'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l no-healthcheck -d 'Disable the image\'s HEALTHCHECK'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l rm -d 'Remove the container when it exits'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -s P -l publish-all -d 'Publish every port the image exposes on a free host port'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l no-hosts -d 'Do not generate /etc/hosts: the image\'s stays'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l read-only -d 'Mount the root file system read-only'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l init -d 'Run rl\'s own init as pid 1: it forwards signals to the command and reaps zombies'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from run" -l privileged -d 'Give the container every capability and no masked paths'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from start" -l filter -d 'With --all: restart-policy=POLICY, status=STATE, name=TEXT, label=KEY[=VALUE]' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from start" -l sig-proxy -d 'Pass signals received by rl to the container' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from start" -s a -l attach -d 'Attach to the container\'s output and wait for it (in the foreground, without a monitor)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from start" -l all -d 'Start every container that is not running (with --filter: those that match), e.g. from a systemd user unit at boot: rl start --all --filter restart-policy=always'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from start" -s i -l interactive -d 'Pass standard input to the container'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from stats" -s i -l interval -d 'Seconds between snapshots when streaming' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from stats" -l format -d 'Output format: json or a Go template ({{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDS}})' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from stats" -s a -l all -d 'Every running container'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from stats" -l no-stream -d 'Print one snapshot and exit (default: a new one every interval until interrupted)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from stats" -l no-trunc -d 'Show full container ids'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from stats" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from stop" -s t -l time -d 'Seconds to wait for the stop signal to work before killing (default 10)' -r
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from stop" -s a -l all -d 'Stop every running container'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from top" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from unpause" -s a -l all -d 'Every running container (`pause`) or every paused one (`unpause`)'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from unpause" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand container; and __fish_seen_subcommand_from wait" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand cp" -s a -l archive -d 'Give copied files to the container\'s main user (--archive=false: keep the source\'s ids)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand cp" -s L -l follow-link -d 'Follow a symlink at the end of the source path'
complete -c rl -n "__fish_rl_using_subcommand cp" -s q -l quiet -d 'Print nothing (rl prints nothing on success anyway)'
complete -c rl -n "__fish_rl_using_subcommand cp" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand create" -s a -l attach -d 'Attach only these streams in the foreground: STDIN, STDOUT, STDERR (default: all)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l log-driver -d 'Where the container\'s output goes: k8s-file (the default; json-file is taken as it) or none' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l health-cmd -d 'Health check command (run by /bin/sh -c; a JSON array runs as is)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l health-interval -d 'Time between health checks (default 30s; "disable" turns them off)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l health-retries -d 'Consecutive failures before the container is unhealthy (default 3)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l health-timeout -d 'A check running longer fails (default 30s)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l health-start-period -d 'Failures in this time after the start do not count (default 0s)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l health-on-failure -d 'When unhealthy: none, kill, restart or stop' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l restart -d 'Restart policy of a detached container: no, on-failure[:N], always, unless-stopped' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l log-opt -d 'Logging options: max-size=SIZE (rotate the log past SIZE)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l name -d 'Name of the container' -r
complete -c rl -n "__fish_rl_using_subcommand create" -s e -l env -d 'Set an environment variable: KEY=VALUE, or KEY to pass the host\'s value' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l env-file -d 'Read environment variables from a file (KEY=VALUE lines)' -r -F
complete -c rl -n "__fish_rl_using_subcommand create" -s w -l workdir -d 'Working directory inside the container' -r
complete -c rl -n "__fish_rl_using_subcommand create" -s u -l user -d 'User to run as: USER[:GROUP], names or numbers' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l group-add -d 'Additional groups for the user' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l entrypoint -d 'Override the image\'s entrypoint ("" clears it)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -s h -l hostname -d 'Container host name' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l network -d 'Network: slirp4netns[:OPTIONS] (the default), pasta[:ARGS], none, host, container:NAME, or a network made with `rl network create` (repeatable for several)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -s p -l publish -d 'Publish a container port on the host: [IP:][HOSTPORT:]CPORT[/tcp|/udp], ranges allowed' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l dns -d 'DNS server for the container\'s /etc/resolv.conf (`none`: no nameserver)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l dns-search -d 'DNS search domain ("." for none)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l dns-option -d 'DNS resolver option (resolv.conf `options`)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l add-host -d 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the address reaching the host)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l network-alias -d 'Another name for the container on its user-defined networks' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l read-only-tmpfs -d 'With --read-only, mount tmpfs on /run, /tmp and /var/tmp' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand create" -l tmpfs -d 'Mount a tmpfs: PATH[:OPTIONS]' -r
complete -c rl -n "__fish_rl_using_subcommand create" -s v -l volume -d 'Bind a host path or mount a volume: [HOST-PATH|NAME:]CONTAINER[:ro|rw|U|nocopy|...]' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l mount -d 'Attach a mount: type=bind|volume|tmpfs,source=,target=[,readonly,...]' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l userns -d 'User namespace: keep-id (your uid and gid inside, with a passwd entry) or host (the default)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l uidmap -d 'Map container uids: CONTAINER_ID:ID:SIZE (ID in rl\'s namespace: 0 = you, 1.. = your subuids)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l gidmap -d 'Map container gids, as --uidmap (default: the --uidmap ranges)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l cap-add -d 'Add capabilities (CAP_NET_RAW, net_raw, ALL)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l cap-drop -d 'Drop capabilities' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l security-opt -d 'Security options: no-new-privileges, seccomp=unconfined|FILE, mask=PATHS, unmask=PATHS|ALL' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l ulimit -d 'Resource limits: NAME=SOFT[:HARD] (nofile, nproc, core, ...)' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l sysctl -d 'Namespaced kernel parameters: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand create" -s l -l label -d 'Labels: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l annotation -d 'Annotations: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l sig-proxy -d 'Pass signals received by rl to the container' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand create" -l stop-signal -d 'Signal that stops the container' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l pull -d 'When to pull the image: missing, always, never, newer' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l platform -d 'Platform for a pulled image: OS/ARCH[/VARIANT]' -r
complete -c rl -n "__fish_rl_using_subcommand create" -s m -l memory -d 'Memory limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l cpus -d 'CPU limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l pids-limit -d 'Process limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand create" -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand create" -s i -l interactive -d 'Keep standard input open (pipe it to the container)'
complete -c rl -n "__fish_rl_using_subcommand create" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c rl -n "__fish_rl_using_subcommand create" -s d -l detach -d 'Run in the background: print the container\'s id and leave it to its monitor'
complete -c rl -n "__fish_rl_using_subcommand create" -l no-healthcheck -d 'Disable the image\'s HEALTHCHECK'
complete -c rl -n "__fish_rl_using_subcommand create" -l rm -d 'Remove the container when it exits'
complete -c rl -n "__fish_rl_using_subcommand create" -s P -l publish-all -d 'Publish every port the image exposes on a free host port'
complete -c rl -n "__fish_rl_using_subcommand create" -l no-hosts -d 'Do not generate /etc/hosts: the image\'s stays'
complete -c rl -n "__fish_rl_using_subcommand create" -l read-only -d 'Mount the root file system read-only'
complete -c rl -n "__fish_rl_using_subcommand create" -l init -d 'Run rl\'s own init as pid 1: it forwards signals to the command and reaps zombies'
complete -c rl -n "__fish_rl_using_subcommand create" -l privileged -d 'Give the container every capability and no masked paths'
complete -c rl -n "__fish_rl_using_subcommand diff" -l format -d 'Output format: json' -r
complete -c rl -n "__fish_rl_using_subcommand diff" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand events" -s f -l filter -d 'Show only matching events: event=ACTION (or status=), container=ID|NAME, image=NAME|ID, type=container|image|volume|network, volume=NAME, network=ID|NAME, label=KEY[=VALUE]. The same key repeated matches any of its values; different keys must all match' -r
complete -c rl -n "__fish_rl_using_subcommand events" -l since -d 'Show events from this time on: RFC 3339, Unix seconds, or a duration back from now (10m)' -r
complete -c rl -n "__fish_rl_using_subcommand events" -l until -d 'Show events up to this time, then exit (same forms as --since)' -r
complete -c rl -n "__fish_rl_using_subcommand events" -l stream -d 'Keep printing new events until interrupted (--stream=false prints the log and exits)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand events" -l format -d 'Output format: json (one object per line) or a Go template ({{.Status}} {{.Name}})' -r
complete -c rl -n "__fish_rl_using_subcommand events" -l no-trunc -d 'Do not truncate the output (ids are always printed whole)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand events" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand exec" -s e -l env -d 'Set an environment variable: KEY=VALUE, or KEY to pass the host\'s value' -r
complete -c rl -n "__fish_rl_using_subcommand exec" -l env-file -d 'Read environment variables from a file' -r -F
complete -c rl -n "__fish_rl_using_subcommand exec" -s w -l workdir -d 'Working directory inside the container' -r
complete -c rl -n "__fish_rl_using_subcommand exec" -s u -l user -d 'User to run as: USER[:GROUP], names or numbers (default: the container\'s)' -r
complete -c rl -n "__fish_rl_using_subcommand exec" -l sig-proxy -d 'Pass signals received by rl to the command' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand exec" -s i -l interactive -d 'Keep standard input open (pipe it to the command)'
complete -c rl -n "__fish_rl_using_subcommand exec" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c rl -n "__fish_rl_using_subcommand exec" -s d -l detach -d 'Run the command in the background'
complete -c rl -n "__fish_rl_using_subcommand exec" -l privileged -d 'Give the command every capability'
complete -c rl -n "__fish_rl_using_subcommand exec" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand export" -s o -l output -d 'Write the tar archive to this file (default: standard output, never a terminal)' -r -F
complete -c rl -n "__fish_rl_using_subcommand export" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand healthcheck; and not __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand healthcheck; and not __fish_seen_subcommand_from run" -f -a "run" -d 'Run a container\'s health check once (exit 0: it passed, 1: it failed)'
complete -c rl -n "__fish_rl_using_subcommand healthcheck; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand history" -l format -d 'Output format: json, or a Go template' -r
complete -c rl -n "__fish_rl_using_subcommand history" -s H -l human -d 'Show sizes in bytes and dates in full' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand history" -l no-trunc -d 'Do not truncate the output'
complete -c rl -n "__fish_rl_using_subcommand history" -s q -l quiet -d 'Print only the ids'
complete -c rl -n "__fish_rl_using_subcommand history" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "build" -d 'Build an image from a Containerfile or Dockerfile'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "history" -d 'Show the history of an image'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "import" -d 'Create an image from a root file system tarball'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "inspect" -d 'Display detailed information on images'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "load" -d 'Load images from a docker-archive or oci-archive'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "ls" -d 'List images'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "list" -d 'List images'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "prune" -d 'Remove unused images'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "pull" -d 'Pull an image from a registry'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "push" -d 'Push an image to a registry'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "rm" -d 'Remove images'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "save" -d 'Save images to a docker-archive or oci-archive'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "tag" -d 'Add names to an image'
complete -c rl -n "__fish_rl_using_subcommand image; and not __fish_seen_subcommand_from build history import inspect load ls list prune pull push rm save tag untag" -f -a "untag" -d 'Remove names from an image'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -s t -l tag -d 'Name the image (repeatable)' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -s f -l file -d 'The Containerfile (default: Containerfile, else Dockerfile, in the context); `-` for stdin' -r -F
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -l build-arg -d 'A build argument (K=V, or K to take it from the environment); repeatable' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -l target -d 'Build up to this stage (name or index)' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -l pull -d 'When to pull base images: missing (default), always, never (`--pull` alone: always)' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -l layers -d 'Cache each step\'s image (default true); false builds without the cache' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -l format -d 'Image format: oci (default) or docker (accepted; rl stores OCI images)' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -l label -d 'Add a label to the image (K=V); repeatable' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -l network -d 'The network RUN steps use (as `rl run --network`)' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -l iidfile -d 'Write the image id to this file' -r -F
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -l no-cache -d 'Do not use the layer cache'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -s q -l quiet -d 'Print only the image id'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from build" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from history" -l format -d 'Output format: json, or a Go template' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from history" -s H -l human -d 'Show sizes in bytes and dates in full' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from history" -l no-trunc -d 'Do not truncate the output'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from history" -s q -l quiet -d 'Print only the ids'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from history" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from import" -s c -l change -d 'Apply a Dockerfile instruction to the image\'s config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, VOLUME or STOPSIGNAL (repeatable)' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from import" -s m -l message -d 'Comment recorded in the image\'s history' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Print only the image id (the default: there is no progress output)'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from inspect" -s f -l format -d 'Output format: json (default), or a Go template applied to each image' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from load" -s i -l input -d 'Read the archive from this file (default: stdin, which must not be a terminal)' -r -F
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from load" -s q -l quiet -d 'Print no progress'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from load" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from ls" -s f -l filter -d 'Filter: reference=, dangling=true|false, label=KEY[=VALUE], before=IMAGE, since=IMAGE' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from ls" -l format -d 'Output format: json, or a Go template (\'table {{.Repository}}\\t{{.ID}}\')' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from ls" -s a -l all -d 'Show all images, intermediate ones (untagged parents of other images) included'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from ls" -l digests -d 'Show digests'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from ls" -l no-trunc -d 'Do not truncate ids'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only image ids'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from ls" -s n -l noheading -d 'Do not print column headings'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from list" -s f -l filter -d 'Filter: reference=, dangling=true|false, label=KEY[=VALUE], before=IMAGE, since=IMAGE' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from list" -l format -d 'Output format: json, or a Go template (\'table {{.Repository}}\\t{{.ID}}\')' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from list" -s a -l all -d 'Show all images, intermediate ones (untagged parents of other images) included'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from list" -l digests -d 'Show digests'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from list" -l no-trunc -d 'Do not truncate ids'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only image ids'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from list" -s n -l noheading -d 'Do not print column headings'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from prune" -l filter -d 'Filter: label=KEY[=VALUE], until=... (label only for now)' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from prune" -s a -l all -d 'Remove every image no container uses, not only dangling ones'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not ask for confirmation'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from pull" -l platform -d 'Platform to choose from a multi-platform image: OS/ARCH[/VARIANT]' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from pull" -l tls-verify -d 'Require HTTPS and verify certificates (default: true, except for loopback registries and registries marked insecure in registries.conf)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from pull" -s a -l all-tags -d 'Pull all tagged images in the repository'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from pull" -s q -l quiet -d 'Print only the image id'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from pull" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from push" -l creds -d 'Credentials to use: USERNAME[:PASSWORD]' -r
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from push" -l tls-verify -d 'Require HTTPS and verify certificates (default: true, except for loopback registries and registries marked insecure in registries.conf)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from push" -l digestfile -d 'Write the pushed manifest\'s digest to this file' -r -F
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from push" -s q -l quiet -d 'Print nothing while pushing'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from push" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from rm" -s a -l all -d 'Remove all images'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from rm" -s f -l force -d 'Remove the image even when other names point at it, or containers use it'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from save" -s o -l output -d 'Write the archive to this file (default: stdout, which must not be a terminal)' -r -F
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from save" -l format -d 'Archive format' -r -f -a "docker-archive\t'The format of docker save: manifest.json, configs and plain layer tars'
oci-archive\t'An OCI image layout: oci-layout, index.json and blobs/sha256'"
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from save" -s m -l multi-image-archive -d 'Accepted for podman compatibility: several images always go into one archive'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from save" -s q -l quiet -d 'Print no progress'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from save" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from tag" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand image; and __fish_seen_subcommand_from untag" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand images" -s f -l filter -d 'Filter: reference=, dangling=true|false, label=KEY[=VALUE], before=IMAGE, since=IMAGE' -r
complete -c rl -n "__fish_rl_using_subcommand images" -l format -d 'Output format: json, or a Go template (\'table {{.Repository}}\\t{{.ID}}\')' -r
complete -c rl -n "__fish_rl_using_subcommand images" -s a -l all -d 'Show all images, intermediate ones (untagged parents of other images) included'
complete -c rl -n "__fish_rl_using_subcommand images" -l digests -d 'Show digests'
complete -c rl -n "__fish_rl_using_subcommand images" -l no-trunc -d 'Do not truncate ids'
complete -c rl -n "__fish_rl_using_subcommand images" -s q -l quiet -d 'Print only image ids'
complete -c rl -n "__fish_rl_using_subcommand images" -s n -l noheading -d 'Do not print column headings'
complete -c rl -n "__fish_rl_using_subcommand images" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand import" -s c -l change -d 'Apply a Dockerfile instruction to the image\'s config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, VOLUME or STOPSIGNAL (repeatable)' -r
complete -c rl -n "__fish_rl_using_subcommand import" -s m -l message -d 'Comment recorded in the image\'s history' -r
complete -c rl -n "__fish_rl_using_subcommand import" -s q -l quiet -d 'Print only the image id (the default: there is no progress output)'
complete -c rl -n "__fish_rl_using_subcommand import" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand info" -s f -l format -d 'Output format: json, or a Go template such as \'{{.Host.Kernel}}\'' -r
complete -c rl -n "__fish_rl_using_subcommand info" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand inspect" -s f -l format -d 'Output format: json (default), or a Go template applied to each object' -r
complete -c rl -n "__fish_rl_using_subcommand inspect" -s t -l type -d 'What to look for: container, image, volume, network, or all (in that order)' -r
complete -c rl -n "__fish_rl_using_subcommand inspect" -s s -l size -d 'Show the container\'s size (accepted; sizes are not computed)'
complete -c rl -n "__fish_rl_using_subcommand inspect" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand kill" -s s -l signal -d 'Signal to send (name or number)' -r
complete -c rl -n "__fish_rl_using_subcommand kill" -s a -l all -d 'Signal every running container'
complete -c rl -n "__fish_rl_using_subcommand kill" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand load" -s i -l input -d 'Read the archive from this file (default: stdin, which must not be a terminal)' -r -F
complete -c rl -n "__fish_rl_using_subcommand load" -s q -l quiet -d 'Print no progress'
complete -c rl -n "__fish_rl_using_subcommand load" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand login" -s u -l username -d 'User name' -r
complete -c rl -n "__fish_rl_using_subcommand login" -s p -l password -d 'Password (prefer --password-stdin: a password on the command line is visible to others)' -r
complete -c rl -n "__fish_rl_using_subcommand login" -l authfile -d 'Where to store the credentials (default: $XDG_RUNTIME_DIR/containers/auth.json)' -r -F
complete -c rl -n "__fish_rl_using_subcommand login" -l tls-verify -d 'Require HTTPS and verify certificates (default: true, except for loopback registries and registries marked insecure in registries.conf)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand login" -l password-stdin -d 'Read the password from standard input'
complete -c rl -n "__fish_rl_using_subcommand login" -l get-login -d 'Print the user name logged in to REGISTRY'
complete -c rl -n "__fish_rl_using_subcommand login" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand logout" -l authfile -d 'The auth file to edit (default: $XDG_RUNTIME_DIR/containers/auth.json)' -r -F
complete -c rl -n "__fish_rl_using_subcommand logout" -s a -l all -d 'Remove the credentials of every registry'
complete -c rl -n "__fish_rl_using_subcommand logout" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand logs" -l tail -d 'Show only the last N lines ("all" or -1: every line)' -r
complete -c rl -n "__fish_rl_using_subcommand logs" -l since -d 'Show only lines since TIME: an RFC 3339 time, seconds since the epoch, or a duration back from now (10m, 1h30m)' -r
complete -c rl -n "__fish_rl_using_subcommand logs" -l until -d 'Show only lines until TIME (the forms of --since)' -r
complete -c rl -n "__fish_rl_using_subcommand logs" -s f -l follow -d 'Keep printing new output until the container stops'
complete -c rl -n "__fish_rl_using_subcommand logs" -s t -l timestamps -d 'Prefix each line with its time (RFC 3339, UTC)'
complete -c rl -n "__fish_rl_using_subcommand logs" -s n -l names -d 'Prefix each line with the container\'s name'
complete -c rl -n "__fish_rl_using_subcommand logs" -s l -l latest -d 'Act on the container created last'
complete -c rl -n "__fish_rl_using_subcommand logs" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand network; and not __fish_seen_subcommand_from connect create disconnect inspect ls list prune rm" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand network; and not __fish_seen_subcommand_from connect create disconnect inspect ls list prune rm" -f -a "connect" -d 'Connect a container to a network (a running one must have started on a user-defined network)'
complete -c rl -n "__fish_rl_using_subcommand network; and not __fish_seen_subcommand_from connect create disconnect inspect ls list prune rm" -f -a "create" -d 'Create a network (a bridge in a user namespace; prints its name)'
complete -c rl -n "__fish_rl_using_subcommand network; and not __fish_seen_subcommand_from connect create disconnect inspect ls list prune rm" -f -a "disconnect" -d 'Disconnect a container from a network'
complete -c rl -n "__fish_rl_using_subcommand network; and not __fish_seen_subcommand_from connect create disconnect inspect ls list prune rm" -f -a "inspect" -d 'Display detailed information on networks'
complete -c rl -n "__fish_rl_using_subcommand network; and not __fish_seen_subcommand_from connect create disconnect inspect ls list prune rm" -f -a "ls" -d 'List networks'
complete -c rl -n "__fish_rl_using_subcommand network; and not __fish_seen_subcommand_from connect create disconnect inspect ls list prune rm" -f -a "list" -d 'List networks'
complete -c rl -n "__fish_rl_using_subcommand network; and not __fish_seen_subcommand_from connect create disconnect inspect ls list prune rm" -f -a "prune" -d 'Remove networks no container uses'
complete -c rl -n "__fish_rl_using_subcommand network; and not __fish_seen_subcommand_from connect create disconnect inspect ls list prune rm" -f -a "rm" -d 'Remove networks'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from connect" -l alias -d 'Another name for the container on this network' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from connect" -l ip -d 'The container\'s IPv4 address on this network' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from connect" -l mac-address -d 'The container\'s MAC address on this network' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from connect" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from create" -s d -l driver -d 'Driver: only bridge' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from create" -l subnet -d 'Subnet in CIDR form, IPv4, prefix 8 to 30 (default: the first free 10.89.N.0/24)' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from create" -l gateway -d 'Gateway (the bridge\'s address) in --subnet (default: the subnet\'s first address)' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from create" -l label -d 'Set a label (KEY=VALUE; repeatable)' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from create" -s o -l opt -d 'Driver option (KEY=VALUE; repeatable): mtu' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from create" -l internal -d 'No route out of the network: its containers reach only each other'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from create" -l ipv6 -d 'Enable IPv6 (not supported yet: an error)'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from create" -l disable-dns -d 'Containers on the network do not get each other\'s names'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from create" -l ignore -d 'Succeed if a network of that name exists (it is left as it is)'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from disconnect" -s f -l force -d 'Accepted for podman compatibility'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from disconnect" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from inspect" -s f -l format -d 'Output format: json (default), or a Go template applied to each network' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from ls" -l format -d 'Output format: json, or a Go template (\'table {{.ID}}\\t{{.Name}}\\t{{.Subnets}}\')' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from ls" -s f -l filter -d 'Filter: name=, id=, driver=, label=KEY[=VALUE], dangling=true|false, until=TIME' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only network names'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from ls" -l no-trunc -d 'Do not truncate network ids'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from ls" -l noheading -d 'Do not print column headings'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from list" -l format -d 'Output format: json, or a Go template (\'table {{.ID}}\\t{{.Name}}\\t{{.Subnets}}\')' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from list" -s f -l filter -d 'Filter: name=, id=, driver=, label=KEY[=VALUE], dangling=true|false, until=TIME' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only network names'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from list" -l no-trunc -d 'Do not truncate network ids'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from list" -l noheading -d 'Do not print column headings'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from prune" -l filter -d 'Only networks matching: label=KEY[=VALUE], until=TIME' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not ask for confirmation'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from rm" -s t -l time -d 'With --force: seconds to wait for a container to stop before killing it (default 10)' -r
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from rm" -s f -l force -d 'Stop and remove the containers on the network first'
complete -c rl -n "__fish_rl_using_subcommand network; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand pause" -s a -l all -d 'Every running container (`pause`) or every paused one (`unpause`)'
complete -c rl -n "__fish_rl_using_subcommand pause" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand port" -s a -l all -d 'Every container'
complete -c rl -n "__fish_rl_using_subcommand port" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand ps" -s n -l last -d 'Show only the N containers created last, whatever their state (0: all)' -r
complete -c rl -n "__fish_rl_using_subcommand ps" -s f -l filter -d 'Filter: status=, name=, id=, label=KEY[=VALUE], ancestor=IMAGE, exited=CODE, health=, before=CONTAINER, since=CONTAINER (shows containers of every state)' -r
complete -c rl -n "__fish_rl_using_subcommand ps" -l format -d 'Output format: json, or a Go template (\'table {{.ID}}\\t{{.Names}}\\t{{.Status}}\')' -r
complete -c rl -n "__fish_rl_using_subcommand ps" -l sort -d 'Sort by: command, created (newest first), id, image, names or status' -r -f -a "command\t''
created\t''
id\t''
image\t''
names\t''
status\t''"
complete -c rl -n "__fish_rl_using_subcommand ps" -s a -l all -d 'Show all containers (default: only running and paused ones)'
complete -c rl -n "__fish_rl_using_subcommand ps" -s q -l quiet -d 'Print only container ids'
complete -c rl -n "__fish_rl_using_subcommand ps" -s l -l latest -d 'Show only the container created last, whatever its state'
complete -c rl -n "__fish_rl_using_subcommand ps" -l no-trunc -d 'Do not truncate ids and commands'
complete -c rl -n "__fish_rl_using_subcommand ps" -s s -l size -d 'Show the size of each container\'s changes to its image (its upper directory)'
complete -c rl -n "__fish_rl_using_subcommand ps" -l noheading -d 'Do not print column headings'
complete -c rl -n "__fish_rl_using_subcommand ps" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand pull" -l platform -d 'Platform to choose from a multi-platform image: OS/ARCH[/VARIANT]' -r
complete -c rl -n "__fish_rl_using_subcommand pull" -l tls-verify -d 'Require HTTPS and verify certificates (default: true, except for loopback registries and registries marked insecure in registries.conf)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand pull" -s a -l all-tags -d 'Pull all tagged images in the repository'
complete -c rl -n "__fish_rl_using_subcommand pull" -s q -l quiet -d 'Print only the image id'
complete -c rl -n "__fish_rl_using_subcommand pull" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand push" -l creds -d 'Credentials to use: USERNAME[:PASSWORD]' -r
complete -c rl -n "__fish_rl_using_subcommand push" -l tls-verify -d 'Require HTTPS and verify certificates (default: true, except for loopback registries and registries marked insecure in registries.conf)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand push" -l digestfile -d 'Write the pushed manifest\'s digest to this file' -r -F
complete -c rl -n "__fish_rl_using_subcommand push" -s q -l quiet -d 'Print nothing while pushing'
complete -c rl -n "__fish_rl_using_subcommand push" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand rename" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand restart" -s t -l time -d 'Seconds to wait for the stop signal to work before killing (default 10)' -r
complete -c rl -n "__fish_rl_using_subcommand restart" -s a -l all -d 'Restart every running container'
complete -c rl -n "__fish_rl_using_subcommand restart" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand rm" -s f -l force -d 'Kill a running container first'
complete -c rl -n "__fish_rl_using_subcommand rm" -s v -l volumes -d 'Remove the container\'s anonymous volumes too'
complete -c rl -n "__fish_rl_using_subcommand rm" -s a -l all -d 'Remove every container'
complete -c rl -n "__fish_rl_using_subcommand rm" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand rmi" -s a -l all -d 'Remove all images'
complete -c rl -n "__fish_rl_using_subcommand rmi" -s f -l force -d 'Remove the image even when other names point at it, or containers use it'
complete -c rl -n "__fish_rl_using_subcommand rmi" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand run" -s a -l attach -d 'Attach only these streams in the foreground: STDIN, STDOUT, STDERR (default: all)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l log-driver -d 'Where the container\'s output goes: k8s-file (the default; json-file is taken as it) or none' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l health-cmd -d 'Health check command (run by /bin/sh -c; a JSON array runs as is)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l health-interval -d 'Time between health checks (default 30s; "disable" turns them off)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l health-retries -d 'Consecutive failures before the container is unhealthy (default 3)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l health-timeout -d 'A check running longer fails (default 30s)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l health-start-period -d 'Failures in this time after the start do not count (default 0s)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l health-on-failure -d 'When unhealthy: none, kill, restart or stop' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l restart -d 'Restart policy of a detached container: no, on-failure[:N], always, unless-stopped' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l log-opt -d 'Logging options: max-size=SIZE (rotate the log past SIZE)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l name -d 'Name of the container' -r
complete -c rl -n "__fish_rl_using_subcommand run" -s e -l env -d 'Set an environment variable: KEY=VALUE, or KEY to pass the host\'s value' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l env-file -d 'Read environment variables from a file (KEY=VALUE lines)' -r -F
complete -c rl -n "__fish_rl_using_subcommand run" -s w -l workdir -d 'Working directory inside the container' -r
complete -c rl -n "__fish_rl_using_subcommand run" -s u -l user -d 'User to run as: USER[:GROUP], names or numbers' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l group-add -d 'Additional groups for the user' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l entrypoint -d 'Override the image\'s entrypoint ("" clears it)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -s h -l hostname -d 'Container host name' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l network -d 'Network: slirp4netns[:OPTIONS] (the default), pasta[:ARGS], none, host, container:NAME, or a network made with `rl network create` (repeatable for several)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -s p -l publish -d 'Publish a container port on the host: [IP:][HOSTPORT:]CPORT[/tcp|/udp], ranges allowed' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l dns -d 'DNS server for the container\'s /etc/resolv.conf (`none`: no nameserver)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l dns-search -d 'DNS search domain ("." for none)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l dns-option -d 'DNS resolver option (resolv.conf `options`)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l add-host -d 'Add a line to /etc/hosts: NAME:IP (IP may be host-gateway, the address reaching the host)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l network-alias -d 'Another name for the container on its user-defined networks' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l read-only-tmpfs -d 'With --read-only, mount tmpfs on /run, /tmp and /var/tmp' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand run" -l tmpfs -d 'Mount a tmpfs: PATH[:OPTIONS]' -r
complete -c rl -n "__fish_rl_using_subcommand run" -s v -l volume -d 'Bind a host path or mount a volume: [HOST-PATH|NAME:]CONTAINER[:ro|rw|U|nocopy|...]' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l mount -d 'Attach a mount: type=bind|volume|tmpfs,source=,target=[,readonly,...]' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l userns -d 'User namespace: keep-id (your uid and gid inside, with a passwd entry) or host (the default)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l uidmap -d 'Map container uids: CONTAINER_ID:ID:SIZE (ID in rl\'s namespace: 0 = you, 1.. = your subuids)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l gidmap -d 'Map container gids, as --uidmap (default: the --uidmap ranges)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l cap-add -d 'Add capabilities (CAP_NET_RAW, net_raw, ALL)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l cap-drop -d 'Drop capabilities' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l security-opt -d 'Security options: no-new-privileges, seccomp=unconfined|FILE, mask=PATHS, unmask=PATHS|ALL' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l ulimit -d 'Resource limits: NAME=SOFT[:HARD] (nofile, nproc, core, ...)' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l sysctl -d 'Namespaced kernel parameters: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand run" -s l -l label -d 'Labels: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l annotation -d 'Annotations: KEY=VALUE' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l sig-proxy -d 'Pass signals received by rl to the container' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand run" -l stop-signal -d 'Signal that stops the container' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l pull -d 'When to pull the image: missing, always, never, newer' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l platform -d 'Platform for a pulled image: OS/ARCH[/VARIANT]' -r
complete -c rl -n "__fish_rl_using_subcommand run" -s m -l memory -d 'Memory limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l cpus -d 'CPU limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l pids-limit -d 'Process limit [needs a delegated cgroup v2 subtree]' -r
complete -c rl -n "__fish_rl_using_subcommand run" -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand run" -s i -l interactive -d 'Keep standard input open (pipe it to the container)'
complete -c rl -n "__fish_rl_using_subcommand run" -s t -l tty -d 'Allocate a pseudo-terminal'
complete -c rl -n "__fish_rl_using_subcommand run" -s d -l detach -d 'Run in the background: print the container\'s id and leave it to its monitor'
complete -c rl -n "__fish_rl_using_subcommand run" -l no-healthcheck -d 'Disable the image\'s HEALTHCHECK'
complete -c rl -n "__fish_rl_using_subcommand run" -l rm -d 'Remove the container when it exits'
complete -c rl -n "__fish_rl_using_subcommand run" -s P -l publish-all -d 'Publish every port the image exposes on a free host port'
complete -c rl -n "__fish_rl_using_subcommand run" -l no-hosts -d 'Do not generate /etc/hosts: the image\'s stays'
complete -c rl -n "__fish_rl_using_subcommand run" -l read-only -d 'Mount the root file system read-only'
complete -c rl -n "__fish_rl_using_subcommand run" -l init -d 'Run rl\'s own init as pid 1: it forwards signals to the command and reaps zombies'
complete -c rl -n "__fish_rl_using_subcommand run" -l privileged -d 'Give the container every capability and no masked paths'
complete -c rl -n "__fish_rl_using_subcommand save" -s o -l output -d 'Write the archive to this file (default: stdout, which must not be a terminal)' -r -F
complete -c rl -n "__fish_rl_using_subcommand save" -l format -d 'Archive format' -r -f -a "docker-archive\t'The format of docker save: manifest.json, configs and plain layer tars'
oci-archive\t'An OCI image layout: oci-layout, index.json and blobs/sha256'"
complete -c rl -n "__fish_rl_using_subcommand save" -s m -l multi-image-archive -d 'Accepted for podman compatibility: several images always go into one archive'
complete -c rl -n "__fish_rl_using_subcommand save" -s q -l quiet -d 'Print no progress'
complete -c rl -n "__fish_rl_using_subcommand save" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rl -n "__fish_rl_using_subcommand start" -l filter -d 'With --all: restart-policy=POLICY, status=STATE, name=TEXT, label=KEY[=VALUE]' -r
complete -c rl -n "__fish_rl_using_subcommand start" -l sig-proxy -d 'Pass signals received by rl to the container' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand start" -s a -l attach -d 'Attach to the container\'s output and wait for it (in the foreground, without a monitor)'
complete -c rl -n "__fish_rl_using_subcommand start" -l all -d 'Start every container that is not running (with --filter: those that match), e.g. from a systemd user unit at boot: rl start --all --filter restart-policy=always'
complete -c rl -n "__fish_rl_using_subcommand start" -s i -l interactive -d 'Pass standard input to the container'
complete -c rl -n "__fish_rl_using_subcommand start" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand stats" -s i -l interval -d 'Seconds between snapshots when streaming' -r
complete -c rl -n "__fish_rl_using_subcommand stats" -l format -d 'Output format: json or a Go template ({{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDS}})' -r
complete -c rl -n "__fish_rl_using_subcommand stats" -s a -l all -d 'Every running container'
complete -c rl -n "__fish_rl_using_subcommand stats" -l no-stream -d 'Print one snapshot and exit (default: a new one every interval until interrupted)'
complete -c rl -n "__fish_rl_using_subcommand stats" -l no-trunc -d 'Show full container ids'
complete -c rl -n "__fish_rl_using_subcommand stats" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand stop" -s t -l time -d 'Seconds to wait for the stop signal to work before killing (default 10)' -r
complete -c rl -n "__fish_rl_using_subcommand stop" -s a -l all -d 'Stop every running container'
complete -c rl -n "__fish_rl_using_subcommand stop" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand system; and not __fish_seen_subcommand_from df events info migrate prune" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand system; and not __fish_seen_subcommand_from df events info migrate prune" -f -a "df" -d 'Show disk usage of images, containers and volumes'
complete -c rl -n "__fish_rl_using_subcommand system; and not __fish_seen_subcommand_from df events info migrate prune" -f -a "events" -d 'Show events from rl\'s event log (same as `rl events`)'
complete -c rl -n "__fish_rl_using_subcommand system; and not __fish_seen_subcommand_from df events info migrate prune" -f -a "info" -d 'Show what rl knows about this machine (same as `rl info`)'
complete -c rl -n "__fish_rl_using_subcommand system; and not __fish_seen_subcommand_from df events info migrate prune" -f -a "migrate" -d 'Stop the pause process that keeps rl\'s user namespace between commands (after editing /etc/subuid, or to replace the rl binary); the next command starts a fresh one'
complete -c rl -n "__fish_rl_using_subcommand system; and not __fish_seen_subcommand_from df events info migrate prune" -f -a "prune" -d 'Remove stopped containers, dangling images and (with --volumes) unused volumes'
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from df" -l format -d 'Output format: json, or a Go template applied to each row' -r
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from df" -s v -l verbose -d 'Show every image, container and volume (accepted; the summary is printed)'
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from df" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from events" -s f -l filter -d 'Show only matching events: event=ACTION (or status=), container=ID|NAME, image=NAME|ID, type=container|image|volume|network, volume=NAME, network=ID|NAME, label=KEY[=VALUE]. The same key repeated matches any of its values; different keys must all match' -r
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from events" -l since -d 'Show events from this time on: RFC 3339, Unix seconds, or a duration back from now (10m)' -r
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from events" -l until -d 'Show events up to this time, then exit (same forms as --since)' -r
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from events" -l stream -d 'Keep printing new events until interrupted (--stream=false prints the log and exits)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from events" -l format -d 'Output format: json (one object per line) or a Go template ({{.Status}} {{.Name}})' -r
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from events" -l no-trunc -d 'Do not truncate the output (ids are always printed whole)' -r -f -a "true\t''
false\t''"
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from events" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from info" -s f -l format -d 'Output format: json, or a Go template such as \'{{.Host.Kernel}}\'' -r
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from info" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from prune" -s a -l all -d 'Also remove every image no container uses, not only dangling ones'
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not ask for confirmation'
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from prune" -l volumes -d 'Also remove volumes no container uses'
complete -c rl -n "__fish_rl_using_subcommand system; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand tag" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand top" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand unshare" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand unpause" -s a -l all -d 'Every running container (`pause`) or every paused one (`unpause`)'
complete -c rl -n "__fish_rl_using_subcommand unpause" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand untag" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand version" -s f -l format -d 'Output format: json, or a Go template such as \'{{.Client.Version}}\'' -r
complete -c rl -n "__fish_rl_using_subcommand version" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand volume; and not __fish_seen_subcommand_from create exists inspect ls list prune rm remove" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand volume; and not __fish_seen_subcommand_from create exists inspect ls list prune rm remove" -f -a "create" -d 'Create a volume (prints its name)'
complete -c rl -n "__fish_rl_using_subcommand volume; and not __fish_seen_subcommand_from create exists inspect ls list prune rm remove" -f -a "exists" -d 'Exit 0 if a volume exists, 1 if not (prints nothing)'
complete -c rl -n "__fish_rl_using_subcommand volume; and not __fish_seen_subcommand_from create exists inspect ls list prune rm remove" -f -a "inspect" -d 'Display detailed information on volumes'
complete -c rl -n "__fish_rl_using_subcommand volume; and not __fish_seen_subcommand_from create exists inspect ls list prune rm remove" -f -a "ls" -d 'List volumes'
complete -c rl -n "__fish_rl_using_subcommand volume; and not __fish_seen_subcommand_from create exists inspect ls list prune rm remove" -f -a "list" -d 'List volumes'
complete -c rl -n "__fish_rl_using_subcommand volume; and not __fish_seen_subcommand_from create exists inspect ls list prune rm remove" -f -a "prune" -d 'Remove volumes no container uses'
complete -c rl -n "__fish_rl_using_subcommand volume; and not __fish_seen_subcommand_from create exists inspect ls list prune rm remove" -f -a "rm" -d 'Remove volumes'
complete -c rl -n "__fish_rl_using_subcommand volume; and not __fish_seen_subcommand_from create exists inspect ls list prune rm remove" -f -a "remove" -d 'Remove volumes'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from create" -l driver -d 'Driver: only local' -r
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from create" -s l -l label -d 'Set a label (KEY=VALUE; repeatable)' -r
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from create" -s o -l opt -d 'Driver option (repeatable): o=uid=N,gid=N,noquota, copy, nocopy (no mounts: rootless)' -r
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from create" -l ignore -d 'Succeed if a volume of that name exists (it is left as it is)'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from exists" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from inspect" -s f -l format -d 'Output format: json (default), or a Go template applied to each volume' -r
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from inspect" -s a -l all -d 'Inspect every volume'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from ls" -l format -d 'Output format: json, or a Go template (\'table {{.Name}}\\t{{.Mountpoint}}\')' -r
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from ls" -s f -l filter -d 'Filter: name=, label=KEY[=VALUE], label!=KEY[=VALUE], driver=, scope=, dangling=true|false, until=TIME' -r
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print only volume names'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from ls" -l noheading -d 'Do not print column headings'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from list" -l format -d 'Output format: json, or a Go template (\'table {{.Name}}\\t{{.Mountpoint}}\')' -r
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from list" -s f -l filter -d 'Filter: name=, label=KEY[=VALUE], label!=KEY[=VALUE], driver=, scope=, dangling=true|false, until=TIME' -r
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only volume names'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from list" -l noheading -d 'Do not print column headings'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from prune" -l filter -d 'Only volumes matching: label=KEY[=VALUE], label!=KEY[=VALUE], name=, driver=, until=TIME' -r
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from prune" -s f -l force -d 'Do not ask for confirmation'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from rm" -s t -l time -d 'With --force: seconds to wait for a container to stop before killing it (default 10)' -r
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from rm" -s a -l all -d 'Remove every volume'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from rm" -s f -l force -d 'Remove the containers using the volume first (stopping them); a missing volume is no error'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from remove" -s t -l time -d 'With --force: seconds to wait for a container to stop before killing it (default 10)' -r
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from remove" -s a -l all -d 'Remove every volume'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from remove" -s f -l force -d 'Remove the containers using the volume first (stopping them); a missing volume is no error'
complete -c rl -n "__fish_rl_using_subcommand volume; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c rl -n "__fish_rl_using_subcommand wait" -s h -l help -d 'Print help'
