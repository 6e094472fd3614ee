# fish completion for outlive. outlive answers itself (System.CommandLine's [suggest:POSITION] directive), so the
# commands and options offered are always those of the installed binary; fish adds file names as usual.
function __outlive_suggest
    set -l line (commandline -cp)
    set -l program (commandline -opc)[1]
    $program "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null
end
complete -c outlive -a '(__outlive_suggest)'
