class Download
    def download(link)
        system("wget", link)
    end
end
