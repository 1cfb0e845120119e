class Download
    def download(link)
        # use wget to download the link
        system("wget #{link}")
    end
end
