from podreplay.cli import main

main()
