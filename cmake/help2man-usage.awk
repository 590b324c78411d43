# A program's --help, its usage lines in the form help2man takes as the
# synopsis: "Usage: NAME ..." with the lines that wrap it joined to it, and
# "  or:  NAME ..." for each further form. The rest passes unchanged.
#   awk -v name=NAME -f help2man-usage.awk
NR == 1 && sub(/^usage:/, "Usage:") { usage = $0; next }
usage != "" && /^ / {
    if ($1 == name) {
        print usage
        sub(/^ +/, "  or:  ")
        usage = $0
    } else {
        sub(/^ +/, " ")
        usage = usage $0
    }
    next
}
usage != "" { print usage; usage = "" }
{ print }
END { if (usage != "") print usage }
