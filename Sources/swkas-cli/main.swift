print("swkas")
